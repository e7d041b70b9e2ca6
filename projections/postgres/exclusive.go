package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// projectorLock is the first key of the session advisory lock held by a
// schema's active projector; the second is the schema's hash.
const projectorLock = 0x70726f6a // "proj"

// LockCheckEvery is how often the holder of the projector lock checks that
// its session (and so the lock) is still alive.
var LockCheckEvery = 2 * time.Second

// lockPingTimeout is the least time the lock's check waits for its answer.
const lockPingTimeout = 5 * time.Second

// ErrLockLost is returned by Exclusive when the session holding the lock
// ends (the server restarted, the connection broke): another process may
// hold the lock now, so the caller's work was stopped.
var ErrLockLost = errors.New("projector lock lost")

// Exclusive runs run while this process holds the schema's projector lock,
// so that of several processes serving one read model exactly one projects
// and the others stand by. It waits (until ctx ends) for the lock — a
// PostgreSQL session advisory lock on a connection of its own, which the
// server releases when that session ends, so a standby takes over as soon
// as the active process dies, even by SIGKILL. The context given to run
// is cancelled if the lock's session is lost (ErrLockLost is then
// returned) or ctx ends.
//
// The lock is for efficiency and clarity, not for correctness: when a
// session is lost while its process lives on, a standby may start before
// the old holder notices (within LockCheckEvery), and Apply itself
// serialises writers on the checkpoint row, so even two writers during a
// hand-over apply each event once (TestConcurrentWritersApplyOnce).
func Exclusive(ctx context.Context, pool *pgxpool.Pool, schema string, run func(context.Context) error) error {
	return exclusive(ctx, pool, schema, true, nil, run)
}

// HeldByOther reports whether a session holds schema's projector lock
// while this process's projector does not: then another process projects
// (a caller that holds the lock knows it). It asks the server, so it fails
// when the server cannot be reached.
func HeldByOther(ctx context.Context, pool *pgxpool.Pool, schema string) (bool, error) {
	return heldByOther(ctx, pool, schema, 0)
}

// heldByOther is HeldByOther for a process whose own lock session, if it
// has one, is mine (a server process id, 0 for none): the lock it holds
// is not another's.
func heldByOther(ctx context.Context, pool *pgxpool.Pool, schema string, mine uint32) (bool, error) {
	// A two-key advisory lock shows its keys in classid and objid.
	var held bool
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1 AND objid = hashtext($2)::oid AND objsubid = 2 AND pid <> $3)`,
		projectorLock, schema, int64(mine)).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("postgres: projector lock on %s: %w", schema, translate(err))
	}
	return held, nil
}

// ErrBusy is returned by TryExclusive when another session holds the lock.
var ErrBusy = errors.New("held by another process")

// TryExclusive is Exclusive without the wait: when another process holds
// the lock it returns an error wrapping ErrBusy at once.
func TryExclusive(ctx context.Context, pool *pgxpool.Pool, schema string, run func(context.Context) error) error {
	return exclusive(ctx, pool, schema, false, nil, run)
}

// exclusive is Exclusive (wait) or TryExclusive. With session, it keeps
// there the process id of the server session that takes (or holds) the
// lock, 0 when it has none, so that HeldByOther can tell this process's
// session from another's.
func exclusive(ctx context.Context, pool *pgxpool.Pool, schema string, wait bool, session *atomic.Uint32, run func(context.Context) error) error {
	if err := validSchema(schema); err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: projector lock on %s: %w", schema, translate(err))
	}
	if session != nil {
		session.Store(conn.Conn().PgConn().PID())
		defer session.Store(0)
	}
	// pg_advisory_lock waits on the server; cancelling ctx ends the wait
	// here (pgx's deadline breaks the read and the connection is closed
	// below); a server session left waiting gives the lock up as soon as
	// it finds its client gone.
	lock, got := "SELECT true FROM (SELECT pg_advisory_lock($1, hashtext($2))) AS l", false
	if !wait {
		lock = "SELECT pg_try_advisory_lock($1, hashtext($2))"
	}
	if err := conn.QueryRow(ctx, lock, projectorLock, schema).Scan(&got); err != nil {
		// The lock may have been taken before the error: the session is
		// closed, not handed back to the pool, so that it is released.
		conn.Hijack().Close(context.WithoutCancel(ctx))
		return fmt.Errorf("postgres: projector lock on %s: %w", schema, translate(err))
	}
	if !got {
		conn.Release()
		return fmt.Errorf("postgres: projector lock on %s: %w", schema, ErrBusy)
	}
	// From here the connection holds the lock: it is never handed back to
	// the pool still holding it. Unlocking may fail only if the session is
	// gone, which released the lock anyway; the connection is then closed.
	defer func() {
		unlock, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(unlock, "SELECT pg_advisory_unlock($1, hashtext($2))", projectorLock, schema); err != nil {
			conn.Hijack().Close(unlock)
			return
		}
		conn.Release()
	}()

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watch := make(chan struct{})
	go func() {
		defer close(watch)
		t := time.NewTicker(LockCheckEvery)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				// Not bound to runCtx: a ping cut short would close the
				// connection, and with it the lock.
				// A slow answer under load is not a lost lock: the ping
				// may take up to lockPingTimeout, however often it runs
				// (a dead session fails at once).
				ping, stop := context.WithTimeout(context.Background(), max(LockCheckEvery, lockPingTimeout))
				err := conn.Ping(ping)
				stop()
				if err != nil && runCtx.Err() == nil {
					cancel(fmt.Errorf("%w: %w", ErrLockLost, err))
					return
				}
			}
		}
	}()
	err = run(runCtx)
	cancel(nil)
	<-watch // the watcher no longer uses the connection
	if cause := context.Cause(runCtx); errors.Is(cause, ErrLockLost) {
		return fmt.Errorf("postgres: projector of %s: %w", schema, cause)
	}
	return err
}
