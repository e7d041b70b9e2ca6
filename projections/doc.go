// Package projections is the read side of the catalogue: it follows the
// event log's global feed, decodes every event once, and hands the decoded
// events in batches to read-model stores that answer the questions people
// ask of the catalogue (DOMAIN.md, questions 1–6).
//
// The pieces:
//
//   - Envelope: a recorded event with its decoded domain event and metadata.
//     Decoding happens once, in the projector's pipeline, never in a store.
//   - Store: the read-model port. A store applies a batch to every view and
//     advances its one checkpoint atomically, so a projector that crashes
//     resumes from the checkpoint with no event applied twice and none
//     lost, and an asOf read is consistent across views; its Views answer
//     the queries, one small interface per view (catalogue, delegations,
//     bodies, editions, log). projections/memory is the embedded default;
//     a PostgreSQL store implements the same port, and both pass
//     projectionstest.
//   - Handlers: a view's handler table, dispatched by the event's type as
//     the domain's registry knows it. The events a view ignores are listed
//     once for every store (ignores.go); Missing is the coverage check each
//     store's test runs, so a new event type cannot be dropped silently by
//     a view.
//   - Projector: reads the feed from the store's checkpoint, decodes in
//     parallel (order preserved), applies in size- and time-bounded batches,
//     and lets a caller wait until a position it wrote is visible
//     (read-your-writes without locking the write side).
//
// Every query fixes the two time axes of the catalogue (ARCHITECTURE.md,
// "Time"): InForceOn, the date on which the legal facts are read, and AsOf,
// the log position up to which facts are known. Together they answer an
// auditor's question exactly: what did we believe at moment R about the
// catalogue in force on date D (AsOf = PositionAt(R)).
package projections
