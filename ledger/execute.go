package ledger

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// Aggregate tells the one command loop (Execute) where an aggregate lives
// and how its state folds from its stream: all a command needs besides its
// decision. A new kind of aggregate is one value of this type, built by a
// function beside its commands (see aggregates.go).
type Aggregate[S any] struct {
	// ID is what a command on the aggregate reports as Result.ID: the
	// item id, body code or edition name.
	ID string
	// Stream is the aggregate's stream.
	Stream string
	// Zero is the state of an empty stream.
	Zero S
	// Evolve folds one event into the state: the domain's fold.
	Evolve func(S, domain.Event) S
	// Record, if set, is given each event's record (revision, time,
	// metadata) right after Evolve has folded the event, for the few
	// aggregates whose decisions need more than the events (the code
	// reservations: who reserved a code, and when).
	Record func(S, *eventstore.RecordedEvent) S
}

// fold returns the aggregate's state after the events of s.
func (a Aggregate[S]) fold(s *stream) S {
	st := a.Zero
	for i, e := range s.decoded {
		st = a.Evolve(st, e)
		if a.Record != nil {
			st = a.Record(st, &s.events[i])
		}
	}
	return st
}

// Decision decides a command against the aggregate's state: the events to
// record, or the domain's refusal.
type Decision[S any] func(S) ([]domain.Event, error)

// Execute runs one command of kind on aggregate agg: it fingerprints the
// command (payload is the command as the caller gave it, before the ledger
// filled anything in), then loads the stream, recognises a retry by the
// command id (and refuses the id reused for another command), checks the
// client's expected revision, decides, appends with the revision read, and
// decides again, after a jittered backoff, if another writer got there
// first. Every command of the ledger goes through it; a new command is a
// domain decision and a call of Execute.
func Execute[S any](ctx context.Context, l *Ledger, req Request, kind string, payload any, agg Aggregate[S], decide Decision[S]) (Result, error) {
	req, err := req.fingerprint(kind, payload)
	if err != nil {
		return Result{}, err
	}
	res, _, err := run(ctx, l, req, agg, decide)
	return res, err
}

// run is Execute on a request already fingerprinted. It also returns the
// stream as it was after the command, holding the command's events, new or
// recorded before (the listing needs its reservation's record).
func run[S any](ctx context.Context, l *Ledger, req Request, agg Aggregate[S], decide Decision[S]) (Result, *stream, error) {
	res, s, err := runOn(ctx, l, req, agg, decide)
	res.ID = agg.ID
	return res, s, err
}

func runOn[S any](ctx context.Context, l *Ledger, req Request, agg Aggregate[S], decide Decision[S]) (Result, *stream, error) {
	if err := req.validate(); err != nil {
		return Result{}, nil, err
	}
	name := agg.Stream
	useCache := true
	for attempt := 1; ; attempt++ {
		s, cached, err := l.stream(ctx, name, useCache)
		if err != nil {
			return Result{}, nil, err
		}
		if res, ok, err := s.recorded(req); ok || err != nil {
			return res, s, err
		}
		if req.ExpectedRevision != nil && (s.version() == 0 || *req.ExpectedRevision != s.version()-1) {
			if cached {
				useCache = false // the cache may be behind: look at the log itself
				continue
			}
			return Result{}, nil, conflict(name, *req.ExpectedRevision, s.version())
		}
		events, err := decide(agg.fold(s))
		if err != nil {
			return Result{}, nil, err
		}
		now := l.now()
		data, err := Envelope(req, name, events, now)
		if err != nil {
			return Result{}, nil, err
		}
		wctx, cancel := writing(ctx)
		ar, err := l.store.Append(wctx, name, eventstore.ExpectedFor(s.version()), data)
		cancel()
		if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			l.cache.drop(name)
			useCache = false
			if cached {
				// Another process wrote (or this command was recorded by an
				// earlier attempt): decide again on the log's state.
				continue
			}
			if req.ExpectedRevision != nil {
				// The client pinned a revision and someone else wrote first.
				var ce *eventstore.ConflictError
				cur := s.version() + 1
				if errors.As(err, &ce) {
					cur = ce.Current
				}
				return Result{}, nil, conflict(name, *req.ExpectedRevision, cur)
			}
			if attempt < maxAttempts {
				if err := backoff(ctx, attempt); err != nil {
					return Result{}, nil, err
				}
				continue // decide again on the new state
			}
		}
		if err != nil {
			l.cache.drop(name) // the outcome is unknown
			return Result{}, nil, fmt.Errorf("append to %s: %w", name, err)
		}
		s = s.with(data, events, ar, now)
		l.cache.put(s)
		return Result{Stream: name, Revision: ar.NextExpected, Position: ar.Position, Events: events}, s, nil
	}
}

// maxAttempts bounds how often a command is decided again after another
// writer appended to its stream first (only when the client did not pin an
// expected revision). With the jittered backoff below, dozens of writers on
// one item all get through.
const maxAttempts = 50

// backoff waits a little, more after each lost race, with jitter so that
// writers that collided do not collide again in lockstep.
func backoff(ctx context.Context, attempt int) error {
	if attempt < 2 {
		return ctx.Err()
	}
	d := time.Duration(rand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// writeBound bounds how long a command that has begun to write may go on
// after its caller went away (a client's timeout, a closed connection).
const writeBound = 30 * time.Second

type writingKey struct{}

// writing returns ctx freed from its caller's cancellation and deadline,
// bounded by writeBound instead: a command that has begun to write
// finishes, so that a client going away never leaves it half done (a
// listing's code reserved and its item not listed) nor leaves the outcome
// of an append unknown. A context already writing is returned as it is, so
// the bound covers the whole command.
func writing(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Value(writingKey{}) != nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeBound)
	return context.WithValue(ctx, writingKey{}, true), cancel
}

func conflict(name string, expected, version uint64) *ConflictError {
	e := &ConflictError{Stream: name, Expected: expected, Current: version - 1, HasCurrent: version > 0}
	cur := "it does not exist"
	if version > 0 {
		cur = fmt.Sprintf("it is at revision %d", version-1)
	}
	e.err = domain.Errorf(domain.CodeWrongExpectedVersion, "expectedRevision",
		"%s was changed by someone else: you expected revision %d but %s; reload it and apply your change again", name, expected, cur)
	return e
}
