// Package graph is the catalogue's GraphQL API (gqlgen, schema first):
// mutations turn input into ledger commands, queries and subscriptions read
// only the read models, and every error leaves through one presenter
// (errors.go). NewHandler serves it over HTTP and WebSocket with sign-in and
// limits (http.go, limits.go).
package graph

//go:generate go run -C .. github.com/99designs/gqlgen generate

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph/auth"
	"github.com/catalogue/catalogue/ledger"
	"github.com/catalogue/catalogue/projections"
)

// Feed is what the API needs of the projector that keeps the read models:
// how far they are, and a way to wait until they include a position (a
// mutation's), which gives read-your-writes without locking the write side.
type Feed interface {
	Position() eventstore.Position
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// Log is what the API needs of the event log itself: where it ends, to tell
// a position that was never written from one the read models have not
// reached yet.
type Log interface {
	LastPosition(ctx context.Context) (eventstore.Position, error)
}

// Config is what the API is built from.
type Config struct {
	Ledger *ledger.Ledger
	// Read is the read models: an operation takes their views once, so
	// it reads one generation of a PostgreSQL read model throughout.
	Read   projections.Reader
	Feed   Feed
	Log    Log
	Tokens *auth.Store
	Logger *slog.Logger
	// AnonymousRead lets requests without a token read the public catalogue
	// (items, delegations, bodies, editions). The audit log and item
	// histories always need a token.
	AnonymousRead bool
	// Now is the clock that decides "today" for inForceOn; time.Now if nil.
	Now    func() time.Time
	Limits Limits
}

// Zone is the time zone "today" is taken in: the catalogue is a Chinese
// government's, and China Standard Time has had no daylight saving since
// 1991, so a fixed UTC+8 zone is exact and needs no tzdata on the host.
var Zone = time.FixedZone("Asia/Shanghai", 8*60*60)

// Resolver holds the API's dependencies; gqlgen's generated code calls its
// methods.
type Resolver struct {
	ledger *ledger.Ledger
	read   projections.Reader
	feed   Feed
	log    Log
	logger *slog.Logger
	now    func() time.Time
	limits Limits
}

// today is the default inForceOn: the date in the catalogue's time zone.
func (r *Resolver) today() domain.Date { return domain.DateOf(r.now().In(Zone)) }

// axes fills a query's time axes: inForceOn defaults to today, asOf to the
// latest position the read models hold.
func (r *Resolver) axes(inForceOn *domain.Date, asOf *eventstore.Position) projections.Axes {
	a := projections.Axes{InForceOn: r.today()}
	if inForceOn != nil {
		a.InForceOn = *inForceOn
	}
	if asOf != nil {
		a.AsOf = *asOf
	}
	return a
}

// WaitError reports that the read models did not reach a position within
// the API's bound; the client may retry.
type WaitError struct {
	// Arg is the argument that asked for the position: waitFor or asOf.
	Arg               string
	Position, Reached eventstore.Position
	Waited            time.Duration
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("%s: the read models reached position %d, not %d, within %s; retry shortly", e.Arg, e.Reached, e.Position, e.Waited)
}

// await blocks until the read models include the positions given (a
// mutation's position passed as waitFor, and an asOf the client wants read
// exactly), for at most Limits.WaitTimeout. A position the log never
// reached is the client's mistake and is refused at once. Errors name the
// argument that carried the position waited for (the later one).
func (r *Resolver) await(ctx context.Context, waitFor, asOf *eventstore.Position) error {
	target, arg := deref(waitFor), "waitFor"
	if asOf != nil && *asOf > target {
		target, arg = *asOf, "asOf"
	}
	if target == 0 || r.feed.Position() >= target {
		return nil
	}
	last, err := r.log.LastPosition(ctx)
	if err != nil {
		return err
	}
	if target > last {
		return domain.Errorf(domain.CodeInvalid, arg, "position %d has not been written: the log ends at %d", target, last)
	}
	wctx, cancel := context.WithTimeout(ctx, r.limits.WaitTimeout)
	defer cancel()
	if err := r.feed.WaitFor(wctx, target); err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			return &WaitError{Arg: arg, Position: target, Reached: r.feed.Position(), Waited: r.limits.WaitTimeout}
		}
		return err
	}
	return nil
}

// principal returns the signed-in principal. The @allow directive has
// already refused anonymous callers of the fields that use it.
func principal(ctx context.Context) (*auth.Principal, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return nil, auth.Unauthenticated("this needs a token: send Authorization: Bearer <token>")
	}
	return p, nil
}
