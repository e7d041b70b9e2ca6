package projections

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/catalogue/catalogue/eventstore"
)

// The pipeline has three stages so that a rebuild uses every core:
//
//	reader ──chunks in order──► decoders (N goroutines) ──► applier
//
// The reader follows the feed (Subscribe) and cuts it into chunks; each
// chunk goes both to the decoders, which decode it concurrently, and, in
// feed order, to the applier, which waits for each chunk's decoding in
// turn. Order is kept without any reordering buffer. Bounded channels give
// back-pressure: the reader runs at most queueDepth chunks ahead.
//
// On cancellation every stage stops; events read but not applied are
// dropped and read again by the next run from the store's checkpoint, so
// none is lost and none applied twice.

// chunkSize is how many events a decoder takes at once: large enough that
// channel hand-offs cost little per event, small enough to spread the work.
const chunkSize = 256

type chunk struct {
	recs     []eventstore.RecordedEvent
	envs     []Envelope
	err      error
	caughtUp bool // the feed was caught up after this chunk
	done     chan struct{}
}

func (c *chunk) decode() {
	defer close(c.done)
	c.envs = slices.Grow(c.envs[:0], len(c.recs))[:len(c.recs)]
	for i, r := range c.recs {
		if c.envs[i], c.err = Decode(r); c.err != nil {
			c.envs = c.envs[:i] // the events before it still count
			return
		}
	}
}

// chunkPool recycles chunks once the applier has copied their events out,
// so a rebuild does not allocate (and collect) a buffer per chunk.
type chunkPool chan *chunk

func (p chunkPool) get() *chunk {
	select {
	case c := <-p:
		c.done = make(chan struct{})
		return c
	default:
		return &chunk{recs: make([]eventstore.RecordedEvent, 0, chunkSize), done: make(chan struct{})}
	}
}

func (p chunkPool) put(c *chunk) {
	clear(c.recs) // drop references to data the read model may no longer need
	clear(c.envs)
	c.recs, c.envs, c.err, c.caughtUp = c.recs[:0], c.envs[:0], nil, false
	select {
	case p <- c:
	default:
	}
}

func (p *Projector) pipeline(ctx context.Context, from eventstore.Position, untilCaughtUp bool) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	queueDepth := 2*p.opt.workers + 2
	ordered := make(chan *chunk, queueDepth)
	work := make(chan *chunk, queueDepth)
	pool := make(chunkPool, 2*queueDepth+2)

	var wg sync.WaitGroup
	for range p.opt.workers {
		wg.Go(func() {
			for c := range work {
				c.decode()
			}
		})
	}
	var readErr error
	wg.Go(func() {
		defer close(ordered)
		defer close(work)
		readErr = p.read(ctx, from, pool, ordered, work)
	})
	err := p.apply(ctx, pool, ordered, untilCaughtUp)
	cancel(err)
	for range ordered { // let a reader blocked on a send finish
	}
	wg.Wait()
	if errors.Is(err, errFeedEnded) && readErr != nil {
		err = readErr // the event store closed or failed
	}
	return err
}

// read follows the feed and sends chunks. Before the feed is caught up,
// chunks are cut at chunkSize; after, every event is sent at once, since a
// live event should not wait for company.
func (p *Projector) read(ctx context.Context, from eventstore.Position, pool chunkPool, ordered, work chan<- *chunk) error {
	var cur *chunk
	live := false
	send := func(caughtUp bool) error {
		c := cur
		if c == nil {
			c = pool.get()
		}
		cur, c.caughtUp = nil, caughtUp
		select {
		case work <- c:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		select {
		case ordered <- c:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	var sendErr error
	err := p.events.Subscribe(ctx, from, func(e eventstore.RecordedEvent) error {
		if sendErr != nil {
			return sendErr
		}
		if cur == nil {
			cur = pool.get()
		}
		cur.recs = append(cur.recs, e)
		if live || len(cur.recs) == chunkSize {
			return send(false)
		}
		return nil
	}, func() {
		live = true
		sendErr = send(true)
	})
	if sendErr != nil {
		return sendErr
	}
	return err
}

// errFeedEnded tells that the reader stopped: its own error says why.
var errFeedEnded = errors.New("projections: the event feed ended")

// apply takes decoded chunks in order and applies them in batches.
func (p *Projector) apply(ctx context.Context, pool chunkPool, ordered <-chan *chunk, untilCaughtUp bool) error {
	var (
		batch    []Envelope // events decoded, not yet applied, in feed order
		timer    *time.Timer
		deadline <-chan time.Time
		live     bool
		meter    = newProgressMeter(p)
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	// flush applies the batch in pieces of at most BatchSize: the full
	// pieces only, or everything when all is set.
	flush := func(all bool) error {
		for len(batch) >= p.opt.batchSize || all && len(batch) > 0 {
			n := min(len(batch), p.opt.batchSize)
			if err := p.store.Apply(ctx, batch[:n]); err != nil {
				return err
			}
			last := batch[n-1].Position
			p.mark.Advance(last)
			meter.applied(n)
			// Keep the buffer: the store does not keep the slice.
			rest := copy(batch, batch[n:])
			clear(batch[rest:])
			batch = batch[:rest]
		}
		if len(batch) == 0 {
			deadline = nil
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-deadline:
			if err := flush(true); err != nil {
				return err
			}
		case c, ok := <-ordered:
			if !ok {
				return errFeedEnded
			}
			select {
			case <-c.done:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			batch = append(batch, c.envs...)
			caughtUp, decodeErr := c.caughtUp, c.err
			pool.put(c)
			if decodeErr != nil {
				// Apply what precedes the undecodable event, so the read
				// model stops exactly before it.
				if err := flush(true); err != nil {
					return err
				}
				return decodeErr
			}
			live = live || caughtUp
			// A full batch goes at once; so does everything once caught up
			// and nothing more is queued.
			if err := flush(caughtUp || live && len(ordered) == 0); err != nil {
				return err
			}
			if len(batch) > 0 && deadline == nil { // the rest waits at most BatchDelay
				if timer == nil {
					timer = time.NewTimer(p.opt.batchDelay)
				} else {
					timer.Reset(p.opt.batchDelay)
				}
				deadline = timer.C
			}
			if caughtUp {
				p.setCaughtUp(true)
				meter.caughtUp()
				if untilCaughtUp {
					return nil
				}
			}
		}
	}
}

// progressMeter calls the progress callback at its interval.
type progressMeter struct {
	p          *Projector
	start      time.Time
	last       time.Time
	n, lastN   int64
	isCaughtUp bool
}

func newProgressMeter(p *Projector) *progressMeter {
	now := time.Now()
	return &progressMeter{p: p, start: now, last: now}
}

func (m *progressMeter) applied(n int) {
	m.n += int64(n)
	if m.p.opt.progress != nil && time.Since(m.last) >= m.p.opt.progressEvery {
		m.report()
	}
}

func (m *progressMeter) caughtUp() {
	m.isCaughtUp = true
	if m.p.opt.progress != nil {
		m.report()
	}
}

func (m *progressMeter) report() {
	now := time.Now()
	rate := 0.0
	if d := now.Sub(m.last).Seconds(); d > 0 {
		rate = float64(m.n-m.lastN) / d
	}
	m.p.opt.progress(Progress{Position: m.p.Position(), Applied: m.n, Rate: rate, Elapsed: now.Sub(m.start), CaughtUp: m.isCaughtUp})
	m.last, m.lastN = now, m.n
}
