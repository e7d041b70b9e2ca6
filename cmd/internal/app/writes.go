package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections/postgres"
)

// writeCheck decides whether this process may write its event log now.
// A write that the read models will never see is worse than a refusal:
// the client is told it was recorded, and it is nowhere to be read. That
// happens when the read models are shared (PostgreSQL) and
//   - this process's log is not the read models' log — a copy of the data
//     directory, another EventStoreDB, a log restored from a backup — which
//     VerifyLog finds once the two have diverged, or
//   - the log is this process's own (SQLite in its data directory) and
//     another process projects (holds the projector lock): that one
//     projects its own log, never this one. While nobody holds the lock
//     (a projector died and this process is about to take over) writes go
//     on: this process's projector will take them.
//
// The check runs before every append and again whenever the read models
// move (VerifyLog is remembered for the generation and position it saw).
type writeCheck struct {
	events eventstore.Store
	live   *postgres.Live // nil: the read models are this process's own (memory)
	// private: the log is this process's alone (SQLite), so only this
	// process's projector can bring its events to the read models.
	private bool

	lastOther atomic.Bool // what otherProjects last learnt

	mu      sync.Mutex
	checked *postgres.Store     // the generation VerifyLog last ran on
	at      eventstore.Position // and its position then
	verdict error               // and what it found
}

// refusal returns why a write must be refused now (wrapping
// eventstore.ErrWriteRefused), or nil.
func (c *writeCheck) refusal(ctx context.Context) error {
	if c.live == nil {
		return nil
	}
	if err := c.verify(ctx); err != nil {
		return fmt.Errorf("%w: %w", eventstore.ErrWriteRefused, err)
	}
	if c.private && c.otherProjects(ctx) {
		return fmt.Errorf("%w: %w: another process projects the read models %s from its own event log, so what this process's log took would never reach them; write through the process that projects",
			eventstore.ErrWriteRefused, errStandby, c.live.Name())
	}
	return nil
}

// errStandby is wrapped by the refusal of a process that stands by: its
// normal state, not a fault.
var errStandby = errors.New("this process stands by")

// otherProjects reports whether another process holds the projector
// lock. When PostgreSQL cannot be asked (it restarts), the last answer
// stands: the process that projected before the outage keeps taking
// writes, which its projector brings over once the server is back, and a
// standby keeps refusing them.
func (c *writeCheck) otherProjects(ctx context.Context) bool {
	other, err := c.live.OtherProjects(ctx)
	if err != nil {
		return c.lastOther.Load()
	}
	c.lastOther.Store(other)
	return other
}

// verify runs VerifyLog when the read models have moved since it last
// ran. Only its two verdicts about the log refuse writes: read models that
// cannot be reached now do not make the log a wrong one.
func (c *writeCheck) verify(ctx context.Context) error {
	store, at := c.live.Store(), c.live.Position()
	c.mu.Lock()
	if c.checked == store && c.at == at {
		defer c.mu.Unlock()
		return c.verdict
	}
	c.mu.Unlock()
	err := store.VerifyLog(ctx, c.events)
	if err != nil && !errors.Is(err, postgres.ErrOtherLog) && !errors.Is(err, postgres.ErrAheadOfLog) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked, c.at, c.verdict = store, at, err
	return err
}

// gatedLog is the event log as the ledger writes it: every append is
// checked first (writeCheck).
type gatedLog struct {
	eventstore.Store
	check *writeCheck
}

func (g gatedLog) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := g.check.refusal(ctx); err != nil {
		return eventstore.AppendResult{}, err
	}
	return g.Store.Append(ctx, stream, expected, events)
}

// writeFailure is what the log reports of its own writes (sqlite's
// WriteErr): the last append that failed through no fault of its caller.
type writeFailure interface{ WriteErr() error }

// writable reports whether this process can write its log now, and if
// not, why, and whether that is a fault (the log fails, or it is not the
// read models' log) rather than a standby's normal state.
func (s *Service) writable(ctx context.Context) (ok bool, why error, fault bool) {
	if wf, isWF := s.Data.Events.(writeFailure); isWF {
		if err := wf.WriteErr(); err != nil {
			return false, err, true
		}
	}
	if err := s.writes.refusal(ctx); err != nil {
		return false, err, !errors.Is(err, errStandby)
	}
	return true, nil, false
}
