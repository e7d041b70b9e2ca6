package eventstore

import "context"

// PageReader reads the page of the feed after from into buf[:0] (at most
// cap(buf) events) and returns it with a channel that is closed at the next
// commit after the read began — taken before (or atomically with) the read,
// so that a commit racing the read is never missed.
type PageReader func(ctx context.Context, buf []RecordedEvent, from Position) (page []RecordedEvent, changed <-chan struct{}, err error)

// Follow implements Subscribe for a backend that can read pages of its feed
// and tell when something new was committed: it delivers the backlog page by
// page, calls caughtUp once the backlog is through, then sleeps until the
// next commit — never polling. It returns the handler's error, ctx.Err(), or
// ErrClosed when closed is closed. The handler runs on the caller's
// goroutine with no lock held, so it may call the store.
func Follow(ctx context.Context, from Position, pageSize int, read PageReader, closed <-chan struct{},
	handle func(RecordedEvent) error, caughtUp func()) error {
	pos := from
	buf := make([]RecordedEvent, 0, pageSize)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, changed, err := read(ctx, buf[:0], pos)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := handle(e); err != nil {
				return err
			}
			pos = e.Position
		}
		if len(page) == pageSize {
			continue
		}
		if caughtUp != nil {
			caughtUp()
			caughtUp = nil
		}
		select {
		case <-changed:
		case <-closed:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
