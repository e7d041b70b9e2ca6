package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// PollEvery is how often a Live read model reads the registry and the
// checkpoint itself, in case a notification was missed (the listening
// connection broke, or the server was restarted).
var PollEvery = time.Second

// ErrClosed is returned by WaitFor once the read model is closed.
var ErrClosed = errors.New("read model closed")

// Live is a read model as every process serving it sees it: the active
// generation's store, switched when a rebuild makes another generation
// active, and its checkpoint, followed across processes. Whichever
// process projects, each batch's commit notifies every Live (pg_notify in
// Apply), so WaitFor — read-your-writes — works in a process that never
// projects (serve --role api), and a generation switch reaches every
// process at once; a poll every PollEvery covers a missed notification.
//
// Live answers the read side's queries from the active generation (Views); Project
// runs this process's projector whenever it holds the read model's lock.
type Live struct {
	pool *pgxpool.Pool
	name string
	poll time.Duration // PollEvery when opened
	cur  atomic.Pointer[Store]

	mark     projections.Watermark // the active generation's checkpoint as last heard of
	mu       sync.Mutex            // orders switches and the notifications of checkpoints
	switched chan struct{}         // closed and replaced when the generation changes
	err      error                 // the last failure to follow, nil once it works again

	projecting atomic.Bool
	lockPID    atomic.Uint32 // the server session of this process's projector lock, 0 for none
	stop       context.CancelFunc
	done       chan struct{}
}

var _ projections.Reader = (*Live)(nil)

// OpenLive opens read model name and starts following it. With migrate,
// the registry is created and the active generation migrated first;
// without, the active generation must already be migrated (CheckMigrated),
// for a deployment that runs catalogue migrate before it starts the
// service. Close stops following.
func OpenLive(ctx context.Context, pool *pgxpool.Pool, name string, migrate bool) (*Live, error) {
	var schema string
	var err error
	if migrate {
		schema, err = MigrateReadModel(ctx, pool, name)
	} else if schema, err = Active(ctx, pool, name); err == nil {
		err = CheckMigrated(ctx, pool, schema)
	}
	if err != nil {
		return nil, err
	}
	l := &Live{pool: pool, name: name, poll: PollEvery, switched: make(chan struct{}), done: make(chan struct{})}
	s := l.newStore(schema)
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	l.mark.Set(cp, nil)
	l.cur.Store(s)
	follow, stop := context.WithCancel(context.WithoutCancel(ctx))
	l.stop = stop
	go func() {
		defer close(l.done)
		l.follow(follow)
	}()
	return l, nil
}

// newStore returns the store of a schema known to be migrated.
func newStore(db DB, schema string) *Store {
	s := &Store{db: db, schema: schema, quoted: quoteIdent(schema)}
	s.views = views(gen{s: s})
	return s
}

// newStore returns the store of a generation l follows.
func (l *Live) newStore(schema string) *Store {
	s := newStore(l.pool, schema)
	s.liveViews = views(gen{s: s, live: l})
	return s
}

// Name returns the read model's name.
func (l *Live) Name() string { return l.name }

// Store returns the active generation's store.
func (l *Live) Store() *Store { return l.cur.Load() }

// Position returns the active generation's checkpoint as last seen.
func (l *Live) Position() eventstore.Position { return l.mark.Position() }

// Err returns why following the read model fails now (the server cannot
// be reached), or nil.
func (l *Live) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Projecting reports whether this process's projector holds the read
// model's lock and writes it.
func (l *Live) Projecting() bool { return l.projecting.Load() }

// OtherProjects reports whether another process projects the read model
// now: a session other than this process's own holds the projector lock.
func (l *Live) OtherProjects(ctx context.Context) (bool, error) {
	if l.Projecting() {
		return false, nil
	}
	return heldByOther(ctx, l.pool, l.name, l.lockPID.Load())
}

// WaitFor blocks until the active generation includes position pos, ctx
// is done (its error is returned) or the read model is closed (ErrClosed).
func (l *Live) WaitFor(ctx context.Context, pos eventstore.Position) error {
	return l.mark.WaitFor(ctx, pos)
}

// Close stops following; queries still answer until the pool is closed.
func (l *Live) Close() {
	l.stop()
	<-l.done
	l.mark.Stop(ErrClosed)
}

// seen records a checkpoint of schema: it advances the position only for
// the active generation.
func (l *Live) seen(schema string, p eventstore.Position) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if schema == l.cur.Load().schema {
		l.mark.Advance(p)
	}
}

// refresh reads the registry and the active generation's checkpoint: it
// switches to another generation if a rebuild made it active. Reading the
// checkpoint after switching means the position may go back by what the
// old generation's projector wrote after the switch was decided — a
// rebuild switches only once the new generation has reached the old one,
// so never below a position a waiter was told was reached.
func (l *Live) refresh(ctx context.Context) error {
	active, err := Active(ctx, l.pool, l.name)
	if err != nil {
		return l.failed(err)
	}
	s := l.cur.Load()
	if active != s.schema {
		s = l.newStore(active)
	}
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return l.failed(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = nil
	if s == l.cur.Load() {
		l.mark.Advance(cp)
		return nil
	}
	l.cur.Store(s)
	l.mark.Set(cp, nil)
	close(l.switched)
	l.switched = make(chan struct{})
	return nil
}

func (l *Live) failed(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
	return err
}

// follow listens for the notifications of Apply and Rebuild on a
// connection of its own until ctx ends, polling between them, and
// reconnects with a growing pause when the connection breaks.
func (l *Live) follow(ctx context.Context) {
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		if err := l.listen(ctx); err != nil && ctx.Err() == nil {
			l.failed(err)
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
			pause = min(2*pause, 5*time.Second)
			continue
		}
		pause = 100 * time.Millisecond
	}
}

// listen follows on one connection until it breaks or ctx ends.
func (l *Live) listen(ctx context.Context) error {
	pooled, err := l.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection that listened is never handed back to the pool: it
	// would keep receiving notifications nobody reads.
	conn := pooled.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+quoteIdent(NotifyChannel)); err != nil {
		return err
	}
	// Listening first, then reading, misses nothing committed meanwhile.
	if err := l.refresh(ctx); err != nil {
		return err
	}
	for {
		wait, cancel := context.WithTimeout(ctx, l.poll)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && conn.IsClosed():
			return err
		case err != nil: // the poll's turn
			if err := l.refresh(ctx); err != nil {
				return err
			}
			continue
		}
		what, arg, _ := strings.Cut(n.Payload, " ")
		if what == "switch" {
			if arg == l.name {
				if err := l.refresh(ctx); err != nil {
					return err
				}
			}
			continue
		}
		var p uint64
		if _, err := fmt.Sscan(arg, &p); err == nil {
			l.seen(what, eventstore.Position(p))
		}
	}
}

// generation returns the active store and a channel closed when another
// generation becomes active.
func (l *Live) generation() (*Store, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur.Load(), l.switched
}

// Project runs a projector of events into the active generation while this
// process holds the read model's lock (Exclusive) — once VerifyLog has
// found the generation built from events — so that of the
// processes serving it one projects and the others stand by. When a
// rebuild switches generations, the projector restarts on the new one from
// its checkpoint. A lost lock or a server that went away is waited out
// with a growing pause (1 s, doubling up to 5 s), then projecting
// resumes; Project returns nil when ctx ends, or the error of a projector
// that failed otherwise.
func (l *Live) Project(ctx context.Context, events eventstore.Store, opts ...projections.Option) error {
	pause := time.Second
	for {
		err := exclusive(ctx, l.pool, l.name, true, &l.lockPID, func(ctx context.Context) error {
			l.projecting.Store(true)
			defer l.projecting.Store(false)
			for {
				store, switched := l.generation()
				if err := store.VerifyLog(ctx, events); err != nil {
					if !errors.Is(err, ErrOtherLog) && !errors.Is(err, ErrAheadOfLog) {
						err = fmt.Errorf("%w: %w", ErrRetry, err) // the log or the server is away
					}
					return err
				}
				gen, cancel := context.WithCancel(ctx)
				go func() {
					select {
					case <-switched:
						cancel()
					case <-gen.Done():
					}
				}()
				err := projections.New(events, store, opts...).Run(gen)
				cancel()
				if errors.Is(err, ErrNotMigrated) {
					// Its generation dropped under it: a switch this
					// process has not heard of yet.
					if l.refresh(ctx) == nil && l.Store() != store {
						continue
					}
				}
				select {
				case <-switched:
					if ctx.Err() == nil {
						continue // the new generation, from its checkpoint
					}
				default:
				}
				return err
			}
		})
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil, !errors.Is(err, ErrLockLost) && !errors.Is(err, ErrRetry):
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// Checkpoint returns the active generation's checkpoint, read now.
func (l *Live) Checkpoint(ctx context.Context) (eventstore.Position, error) {
	return read(ctx, gen{s: l.Store(), live: l}, func(s *Store) (eventstore.Position, error) { return s.Checkpoint(ctx) })
}
