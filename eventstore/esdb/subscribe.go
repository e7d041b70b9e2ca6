package esdb

import (
	"context"
	"errors"
	"strings"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/catalogue/catalogue/eventstore"
)

// Subscribe implements eventstore.Store with a catch-up subscription to
// $all, filtered on the server (see the package comment).
//
// Subscriptions do not survive a server restart, a lost connection or a
// leader change, and the client does not resubscribe; Subscribe does, with
// backoff, from the last event it delivered, for every ending a
// resubscription can cure (see resubscribable). Positions only grow, so
// an event at or before that position, which a resubscription may replay, is dropped here: no
// event reaches handle twice. The resume position is the last delivered
// event's, not the last CheckpointReached: the server's checkpoint may
// name the next record to read, and a subscription from it (exclusive)
// could skip that record. The price is that after a drop the server
// re-scans the events filtered out since the last delivered one.
//
// caughtUp is called at the first of: the server's CaughtUp (sent from
// 23.10 on), the delivery of the feed's last event as it was at the first
// subscription, or at once when that backlog is empty — so servers that
// send no CaughtUp still report it.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Position, handle func(eventstore.RecordedEvent) error, caughtUp func()) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	f := &follower{s: s, pos: from, handle: handle, caughtUp: caughtUp}
	delay := s.opts.RetryMin
	for {
		progressed, err := f.follow(ctx)
		var herr handlerError
		if errors.As(err, &herr) {
			return herr.err // whatever it wraps, it is not ours to retry
		}
		if err := s.begin(ctx); err != nil {
			return err
		}
		if !errors.Is(err, ErrUnavailable) && !resubscribable(err) {
			return err // one resubscribing cannot cure
		}
		if progressed {
			delay = s.opts.RetryMin
		}
		s.opts.Logger.Info("eventstoredb: subscription dropped; resubscribing", "from", uint64(f.pos), "in", delay, "err", err)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closing.Done():
			return eventstore.ErrClosed
		}
		delay = min(2*delay, s.opts.RetryMax)
	}
}

// follower is one Subscribe call's state across resubscriptions.
type follower struct {
	s        *Store
	pos      eventstore.Position // the last delivered event's, or from
	target   eventstore.Position // the feed's end when first subscribing
	gotEnd   bool                // target is known
	handle   func(eventstore.RecordedEvent) error
	caughtUp func() // nil once called
}

func (f *follower) reachedEnd() {
	if f.caughtUp != nil {
		f.caughtUp()
		f.caughtUp = nil
	}
}

// follow runs one subscription until it ends. It reports whether it got
// as far as a message from the server, which resets the backoff, and why
// it ended.
func (f *follower) follow(ctx context.Context) (progressed bool, _ error) {
	s := f.s
	if !f.gotEnd { // here, so that a server down at start is retried too
		end, err := s.LastPosition(ctx)
		if err != nil {
			return false, err
		}
		f.target, f.gotEnd = end, true
		if end <= f.pos {
			f.reachedEnd()
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel) // Close ends the subscription
	defer stop()

	sub, err := s.client.SubscribeToAll(sctx, esdbclient.SubscribeToAllOptions{
		From:   allPosition(f.pos),
		Filter: s.feed.subscription(),
	})
	if err != nil {
		return false, s.mapErr(ctx, err, "subscribe to $all", "", nil)
	}
	defer sub.Close()
	for {
		msg := sub.Recv()
		switch {
		case msg.EventAppeared != nil:
			progressed = true
			e := msg.EventAppeared.OriginalEvent()
			if eventstore.Position(e.Position.Commit) <= f.pos || !s.feed.match(e.StreamID, e.EventType) {
				continue // replayed after a resubscription, or not ours
			}
			r, err := recorded(e)
			if err != nil {
				return progressed, err
			}
			if err := f.handle(r); err != nil {
				return progressed, handlerError{err}
			}
			f.pos = r.Position
			if f.pos >= f.target {
				f.reachedEnd()
			}
		case msg.CaughtUp != nil:
			progressed = true
			f.reachedEnd()
		case msg.CheckPointReached != nil:
			// (2^64−1, 2^64−1) before CaughtUp on 24.10 means "nothing
			// matched yet"; other checkpoints are not resume points (see
			// Subscribe).
			progressed = true
		case msg.SubscriptionDropped != nil:
			return progressed, s.mapErr(ctx, msg.SubscriptionDropped.Error, "subscription to $all", "", nil)
		}
	}
}

// handlerError marks the handler's own error, so that Subscribe returns it
// as it is and never mistakes it for a dropped subscription.
type handlerError struct{ err error }

func (e handlerError) Error() string { return e.err.Error() }

// resubscribable reports whether a subscription that ended with err, or
// the read of the feed's end before it, may succeed later, beyond what
// mapErr already calls ErrUnavailable. The client hands a dropped
// subscription's gRPC status over raw, without the trailers, so the
// status alone decides:
//
//   - Unavailable: a node starting or stopping ("Server Is Not Ready",
//     "Server Is Too Busy") or a lost connection;
//   - Aborted: the server's own timeout ("Operation timed out");
//   - DeadlineExceeded, ResourceExhausted, Internal: gRPC's deadline,
//     flow-control and reset-stream endings under a loaded or restarting
//     node;
//   - NotFound: a follower answers "Leader info available" (trailer
//     exception: not-leader) when a subscription requires the leader, and
//     a subscription to $all has no stream that could be missing;
//   - Unknown only as "No leader info available in response", during an
//     election; any other Unknown is a server fault that retrying hides.
//
// Refused rights, rejected requests and deleted streams are not retried:
// the projector stops and says why.
func resubscribable(err error) bool {
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.Unavailable, codes.Aborted, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Internal, codes.NotFound:
		return true
	case codes.Unknown:
		return strings.Contains(strings.ToLower(st.Message()), "leader info")
	}
	return false
}
