package projections

import (
	"context"
	"time"

	"github.com/catalogue/catalogue/eventstore"
)

// The read side's questions (DOMAIN.md, questions 1–6) are asked of views:
// each view owns how it applies events (its handler table) and answers a
// small query interface. Every store answers them with the same meaning,
// checked by projectionstest.
//
// Errors: INVALID_INPUT (domain.CodeInvalid) for a malformed query (a zero
// InForceOn, a bad cursor, a page size out of range); ITEM_NOT_FOUND,
// BODY_NOT_FOUND, EDITION_NOT_FOUND and DRAFT_NOT_FOUND when the thing asked for is not
// known as of the position read; anything else is an internal error.

// CatalogueView answers questions about items (Q1, Q2).
type CatalogueView interface {
	// Catalogue lists items (Q1) or an edition's items (Q2) with filters,
	// in order of code, with cursor paging and the total count.
	Catalogue(ctx context.Context, q CatalogueQuery) (ItemPage, error)
	// Item returns one item with its particulars on the date, its status
	// and its delegations.
	Item(ctx context.Context, q ItemQuery) (Item, error)
}

// DelegationsView answers who holds which power (Q3).
type DelegationsView interface {
	// Delegations lists delegations by receiving body, delegating body,
	// item, mode and status (Q3: a body's powers).
	Delegations(ctx context.Context, q DelegationQuery) (DelegationPage, error)
}

// BodiesView answers questions about the bodies that receive delegations.
type BodiesView interface {
	// Body returns one body registered on the date.
	Body(ctx context.Context, code string, at Axes) (Body, error)
	// Bodies lists bodies by kind and parent.
	Bodies(ctx context.Context, q BodyQuery) (BodyPage, error)
}

// EditionsView answers questions about the catalogue's versions: the
// editions published (Q2) and the drafts of the next one in preparation.
type EditionsView interface {
	// Editions lists the editions published up to asOf, in order of
	// publication.
	Editions(ctx context.Context, asOf eventstore.Position) ([]Edition, error)
	// Edition returns one edition published up to asOf.
	Edition(ctx context.Context, name string, asOf eventstore.Position) (Edition, error)
	// EditionDiff tells what changed from edition from to edition to (Q2).
	EditionDiff(ctx context.Context, from, to string, asOf eventstore.Position) (EditionDiff, error)
	// Drafts lists the drafts opened up to q.AsOf, in order of opening,
	// as known then, filtered by status (INVALID_INPUT for an unknown one).
	Drafts(ctx context.Context, q DraftQuery) ([]Draft, error)
	// Draft returns one draft as known at asOf; DRAFT_NOT_FOUND if it was
	// not opened by then.
	Draft(ctx context.Context, name string, asOf eventstore.Position) (Draft, error)
}

// LogView answers questions about the log itself (Q4–Q6).
type LogView interface {
	// ItemHistory returns every event of an item's stream up to asOf
	// (0 = latest), in order (Q4).
	ItemHistory(ctx context.Context, itemID string, asOf eventstore.Position) ([]LogEntry, error)
	// AuditLog returns the global change log, filtered, in order of
	// position (Q5).
	AuditLog(ctx context.Context, q AuditQuery) (LogPage, error)
	// PositionAt returns the last position recorded at or before t, so that
	// a query with AsOf = PositionAt(R) reads the log as it was known at
	// moment R (Q6). Should the recorded times of the log ever go backwards
	// (a clock step), it returns the last position p such that nothing up
	// to p was recorded after t. Start when nothing was recorded by t.
	PositionAt(ctx context.Context, t time.Time) (eventstore.Position, error)
}

// Views are a store's views, as the API reads them. The interfaces are
// embedded, so Views answers every query itself (v.Catalogue(ctx, q)) and
// hands out one view alone (v.CatalogueView) to code that needs only it.
// Views taken once read one store: for a PostgreSQL read model, one
// generation, however a rebuild switches meanwhile. A new view is a new
// interface here and a field each store fills.
type Views struct {
	CatalogueView
	DelegationsView
	BodiesView
	EditionsView
	LogView
}

// Reader is what reads the read models: their views.
type Reader interface {
	Views() Views
}

// Store is the read-model port: a projector writes to it, the API reads
// its views.
//
// Apply applies a batch of events to every view and advances the one
// checkpoint they share to the last one's position in one atomic step: a
// reader sees all of the batch or none of it, in every view, so an asOf
// read is consistent across views; and after a crash the checkpoint and
// the data agree. Events at or below the checkpoint are skipped, so a
// batch delivered twice is applied once; positions within a batch must
// increase. An event with a nil Event (a foreign stream's) only advances
// the checkpoint. Apply must not keep the slice; it may keep what the
// envelopes point to, which the projector never changes.
//
// Checkpoint returns the position of the last event applied (Start for a
// fresh store): the position a projector resumes after.
type Store interface {
	Reader
	Apply(ctx context.Context, batch []Envelope) error
	Checkpoint(ctx context.Context) (eventstore.Position, error)
}
