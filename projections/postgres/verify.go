package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/catalogue/catalogue/eventstore"
)

// ErrOtherLog is wrapped by VerifyLog's error when a read model was built
// from another event log than the one it is given.
var ErrOtherLog = errors.New("the read model was built from another event log")

// ErrAheadOfLog is wrapped by VerifyLog's error when a read model's
// checkpoint is past the end of the log it is given: the log lost events
// the read model has seen (a deleted WAL, an older backup), and the
// positions of the lost events would be handed out again to new ones.
var ErrAheadOfLog = errors.New("the read model is ahead of the event log")

// VerifyLog checks that the store was built from events: the last event it
// recorded must be the event the log holds at that position. A read model
// pointed at another log — a second data directory, another EventStoreDB,
// a log restored from an older backup — would otherwise resume after its
// checkpoint and mix two histories, silently. Positions alone cannot tell
// two logs apart; event ids can. A checkpoint past the log's end is
// refused too (ErrAheadOfLog), before anything else.
func (s *Store) VerifyLog(ctx context.Context, events eventstore.Store) error {
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return err
	}
	last, err := events.LastPosition(ctx)
	if err != nil {
		return fmt.Errorf("postgres: verify the event log of schema %s: %w", s.schema, err)
	}
	if cp > last {
		return fmt.Errorf("postgres: schema %s: %w: the read models have reached position %d, the log ends at %d: the log has lost events (a deleted events.db-wal, an older backup) or is another event log. Restore the log the read models were built from; or, to keep this log, build the read models from it with catalogue rebuild",
			s.schema, ErrAheadOfLog, cp, last)
	}
	var at int64
	var id uuid.UUID
	err = s.db.QueryRow(ctx, s.sql("SELECT position, event_id FROM {s}.log ORDER BY position DESC LIMIT 1")).Scan(&at, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // nothing recorded yet
	}
	if err != nil {
		return s.fail("verify the event log", err)
	}
	recs, err := events.ReadAll(ctx, eventstore.Position(at-1), 1)
	if err != nil {
		return fmt.Errorf("postgres: verify the event log of schema %s: %w", s.schema, err)
	}
	if len(recs) == 1 && recs[0].Position == eventstore.Position(at) && recs[0].ID == id {
		return nil
	}
	found := "nothing"
	if len(recs) == 1 {
		found = fmt.Sprintf("event %s at position %d", recs[0].ID, recs[0].Position)
	}
	return fmt.Errorf("postgres: schema %s: %w: it recorded event %s at position %d, the log holds %s there (is this the log the read models were built from? catalogue rebuild builds them from this one)",
		s.schema, ErrOtherLog, id, at, found)
}
