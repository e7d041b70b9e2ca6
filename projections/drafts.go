package projections

import (
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// CodeDraftNotFound is returned when no draft of the name was opened as of
// the position read.
const CodeDraftNotFound = domain.CodeDraftNotFound

// DraftStatus is where a draft stands as of the position read.
type DraftStatus string

// A draft is open from its opening until it is discarded (or, later,
// published); DraftAnyStatus is the filter that lets every status through.
const (
	DraftOpen      DraftStatus = "OPEN"
	DraftDiscarded DraftStatus = "DISCARDED"
	DraftAnyStatus DraftStatus = "ALL"
)

// Draft is a draft (草案) of the catalogue's next version as known at the
// position read. A draft takes no legal effect on a date, so it is read on
// the log's axis alone: as of a position before its discarding it is
// open, with no discard fields; before its opening it is not there.
type Draft struct {
	Name   string
	Reason string
	Status DraftStatus
	// OpenedBy is the actor who opened it, OpenedAt when the opening was
	// recorded, OpenedPosition the opening's log position.
	OpenedBy       string
	OpenedAt       time.Time
	OpenedPosition eventstore.Position
	// The Discarded fields are zero unless Status is DISCARDED.
	DiscardedBy       string
	DiscardedAt       time.Time
	DiscardReason     string
	DiscardedPosition eventstore.Position
}

// AsOf returns the draft as known at position asOf, and false if it was
// not opened by then. Stores keep a draft's whole life (its opening and
// its discarding with their positions) and read it through AsOf, so both
// answer the same for every position.
func (d Draft) AsOf(asOf eventstore.Position) (Draft, bool) {
	if d.OpenedPosition == 0 || d.OpenedPosition > asOf {
		return Draft{}, false
	}
	if d.DiscardedPosition == 0 || d.DiscardedPosition > asOf {
		d.Status = DraftOpen
		d.DiscardedBy, d.DiscardedAt, d.DiscardReason, d.DiscardedPosition = "", time.Time{}, "", 0
	} else {
		d.Status = DraftDiscarded
	}
	return d, true
}

// DraftQuery lists drafts known at AsOf (0 = the checkpoint), in order of
// opening, with Status "" or ALL for every draft, else those of that
// status as of AsOf.
type DraftQuery struct {
	AsOf   eventstore.Position
	Status DraftStatus
}

// Validate checks the query: INVALID_INPUT for an unknown status.
func (q DraftQuery) Validate() error {
	switch q.Status {
	case "", DraftAnyStatus, DraftOpen, DraftDiscarded:
		return nil
	}
	return domain.Errorf(domain.CodeInvalid, "status", "%q is not a draft status (OPEN, DISCARDED, ALL)", q.Status)
}

// Wants reports whether a draft as known at the query's position passes
// its status filter.
func (q DraftQuery) Wants(d Draft) bool {
	return q.Status == "" || q.Status == DraftAnyStatus || q.Status == d.Status
}

// DraftNotFound is the error of a draft not opened as of asOf.
func DraftNotFound(name string, asOf eventstore.Position) error {
	return domain.Errorf(CodeDraftNotFound, "name", "no draft %s opened as of position %d", name, asOf)
}
