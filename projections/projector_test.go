package projections_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/memory"
)

var ctx = context.Background()

func newLog(t *testing.T) *eventmemory.Store {
	s := eventmemory.New()
	t.Cleanup(func() { s.Close() })
	return s
}

func chg(from string) domain.Change {
	return domain.Change{Basis: "青政发〔2024〕1号", Reason: "测试", EffectiveFrom: domain.MustDate(from)}
}

func listing(code string) domain.ListItem {
	return domain.ListItem{ItemFacts: domain.ItemFacts{Code: code, Name: "事项" + code, Authority: "区行政审批服务局", Level: domain.LevelCounty}, Change: chg("2024-01-01")}
}

// run starts p.Run in the background and returns a function that stops it
// and returns Run's result.
func run(t *testing.T, p *projections.Projector) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				err = errors.New("Run did not stop on cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// requireEachEventOnce checks that the read model's log holds every event of
// the event log exactly once, in order.
func requireEachEventOnce(t *testing.T, log eventstore.Store, s projections.Store) {
	t.Helper()
	last, err := log.LastPosition(ctx)
	require.NoError(t, err)
	var got []eventstore.Position
	q := projections.AuditQuery{Page: projections.Page{First: projections.MaxPageSize}}
	for {
		p, err := s.Views().AuditLog(ctx, q)
		require.NoError(t, err)
		for _, e := range p.Entries {
			got = append(got, e.Position)
		}
		if !p.HasNextPage {
			break
		}
		q.After = p.EndCursor
	}
	require.Len(t, got, int(last))
	for i, p := range got {
		require.Equal(t, eventstore.Position(i+1), p)
	}
	cp, err := s.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, last, cp)
}

func TestConcurrentWritersWhileProjecting(t *testing.T) {
	log := newLog(t)
	l := ledger.New(log)
	store := memory.New()
	p := projections.New(log, store, projections.WithBatchSize(16))
	stop := run(t, p)

	var wg sync.WaitGroup
	var written atomic.Int64
	for w := range 6 {
		wg.Go(func() {
			for i := range 40 {
				code := fmt.Sprintf("W%d-%03d", w, i)
				res, err := l.ListItem(ctx, ledger.Request{CommandID: code, By: domain.Actor{Name: fmt.Sprint("writer-", w), Role: domain.RoleLegalOfficer}}, listing(code))
				if !assertNoError(t, err) {
					return
				}
				written.Add(1)
				// Read your own write: wait for its position, then it is there.
				wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err = p.WaitFor(wctx, res.Position)
				cancel()
				if !assertNoError(t, err) {
					return
				}
				it, err := store.Views().Item(ctx, projections.ItemQuery{Axes: projections.Axes{InForceOn: domain.MustDate("2024-06-01")}, ID: res.ID})
				if assertNoError(t, err) && it.Code != code {
					t.Errorf("read %s, wrote %s", it.Code, code)
				}
			}
		})
	}
	wg.Wait()
	last, err := log.LastPosition(ctx)
	require.NoError(t, err)
	require.NoError(t, p.WaitFor(ctx, last))
	require.Equal(t, last, p.Position())
	require.True(t, p.CaughtUp())
	require.NoError(t, stop(), "a cancelled Run stops cleanly")
	requireEachEventOnce(t, log, store)
	page, err := store.Views().Catalogue(ctx, projections.CatalogueQuery{Axes: projections.Axes{InForceOn: domain.MustDate("2024-06-01")}})
	require.NoError(t, err)
	require.Equal(t, int(written.Load()), page.Total)
}

// Stopping a projector mid-stream and starting another on the same store
// loses nothing and applies nothing twice.
func TestRestartResumesFromCheckpoint(t *testing.T) {
	log := newLog(t)
	l := ledger.New(log)
	store := memory.New()
	writing, stopWriting := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; writing.Err() == nil && i < 2000; i++ {
			code := fmt.Sprintf("R%04d", i)
			_, err := l.ListItem(ctx, ledger.Request{CommandID: code, By: domain.Actor{Name: "writer", Role: domain.RoleLegalOfficer}}, listing(code))
			assertNoError(t, err)
		}
	})
	for round := range 5 {
		p := projections.New(log, store, projections.WithBatchSize(8+round))
		stop := run(t, p)
		time.Sleep(time.Duration(5+round*3) * time.Millisecond)
		require.NoError(t, stop())
	}
	stopWriting()
	wg.Wait()
	p := projections.New(log, store)
	require.NoError(t, p.CatchUp(ctx))
	requireEachEventOnce(t, log, store)
}

func TestWaitFor(t *testing.T) {
	log := newLog(t)
	l := ledger.New(log)
	store := memory.New()
	p := projections.New(log, store)

	res, err := l.ListItem(ctx, ledger.Request{CommandID: "c1", By: domain.Actor{Name: "a", Role: domain.RoleLegalOfficer}}, listing("A1"))
	require.NoError(t, err)
	waited := make(chan error, 1)
	go func() { waited <- p.WaitFor(ctx, res.Position) }()
	select {
	case err := <-waited:
		t.Fatalf("WaitFor returned before the projector ran: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	stop := run(t, p)
	require.NoError(t, <-waited)

	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, p.WaitFor(short, res.Position+100), context.DeadlineExceeded, "bounded by its context")

	require.NoError(t, stop())
	require.ErrorIs(t, p.WaitFor(ctx, res.Position+100), projections.ErrStopped, "a stopped projector reaches nothing more")
	require.NoError(t, p.WaitFor(ctx, res.Position), "what was applied stays applied")
}

func appendRaw(t *testing.T, log eventstore.Store, stream, typ string, data string) eventstore.Position {
	res, err := log.Append(ctx, stream, eventstore.Any(), []eventstore.EventData{{ID: uuid.New(), Type: typ, Data: []byte(data), Metadata: []byte(`{"actor":"x","commandId":"y","recordedAt":"2024-01-01T00:00:00Z"}`)}})
	require.NoError(t, err)
	return res.Position
}

func TestUnknownEventOfOursStopsLoudly(t *testing.T) {
	log := newLog(t)
	appendRaw(t, log, "body-370211", domain.TypeBodyRegistered, `{"code":"370211","name":"黄岛区","kind":"DISTRICT","basis":"x","reason":"","effectiveFrom":"2013-01-01"}`)
	bad := appendRaw(t, log, "item-1", "ItemTeleported.v1", `{}`)
	store := memory.New()
	p := projections.New(log, store)
	err := p.Run(ctx)
	require.ErrorContains(t, err, fmt.Sprintf("position %d", bad))
	require.ErrorContains(t, err, "ItemTeleported.v1")
	require.Equal(t, bad-1, p.Position(), "everything before it is applied")
	require.ErrorContains(t, p.WaitFor(ctx, bad), "ItemTeleported.v1", "waiters learn why")

	// Data that does not decode is as loud.
	log2 := newLog(t)
	bad = appendRaw(t, log2, "item-2", domain.TypeItemListed, `{"itemId":`)
	_, err = projections.Rebuild(ctx, log2, memory.New())
	require.ErrorContains(t, err, fmt.Sprintf("position %d", bad))
}

func TestForeignStreamsAreTolerated(t *testing.T) {
	log := newLog(t)
	appendRaw(t, log, "$stats-127.0.0.1:2113", "$statsCollected", `not json`)
	appendRaw(t, log, "body-370211", domain.TypeBodyRegistered, `{"code":"370211","name":"黄岛区","kind":"DISTRICT","basis":"x","reason":"","effectiveFrom":"2013-01-01"}`)
	last := appendRaw(t, log, "orders-42", "OrderPlaced.v3", `{}`)
	store := memory.New()
	pos, err := projections.Rebuild(ctx, log, store)
	require.NoError(t, err)
	require.Equal(t, last, pos)
	b, err := store.Views().Body(ctx, "370211", projections.Axes{InForceOn: domain.MustDate("2024-01-01")})
	require.NoError(t, err)
	require.Equal(t, "黄岛区", b.Name)
	page, err := store.Views().AuditLog(ctx, projections.AuditQuery{})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1, "only our events are in the audit log")
}

func TestRebuildReportsProgressAndNeedsAFreshStore(t *testing.T) {
	log := newLog(t)
	l := ledger.New(log)
	for i := range 50 {
		_, err := l.ListItem(ctx, ledger.Request{CommandID: fmt.Sprint(i), By: domain.Actor{Name: "a", Role: domain.RoleLegalOfficer}}, listing(fmt.Sprint("P", i)))
		require.NoError(t, err)
	}
	var reports []projections.Progress
	store := memory.New()
	pos, err := projections.Rebuild(ctx, log, store, projections.WithBatchSize(10),
		projections.WithProgress(func(p projections.Progress) { reports = append(reports, p) }, 0))
	require.NoError(t, err)
	require.Equal(t, eventstore.Position(100), pos)
	require.NotEmpty(t, reports)
	lastReport := reports[len(reports)-1]
	require.True(t, lastReport.CaughtUp)
	require.Equal(t, pos, lastReport.Position)
	require.Equal(t, int64(100), lastReport.Applied)

	_, err = projections.Rebuild(ctx, log, store)
	require.ErrorContains(t, err, "fresh")
}

// batchLog records the sizes of the batches a store is given.
type batchLog struct {
	projections.Store
	mu    sync.Mutex
	sizes []int
}

func (b *batchLog) Apply(ctx context.Context, batch []projections.Envelope) error {
	b.mu.Lock()
	b.sizes = append(b.sizes, len(batch))
	b.mu.Unlock()
	return b.Store.Apply(ctx, batch)
}

func TestBatchesAreBoundedInSize(t *testing.T) {
	log := newLog(t)
	for i := range 1000 {
		appendRaw(t, log, fmt.Sprint("body-", i), domain.TypeBodyRegistered,
			fmt.Sprintf(`{"code":"%d","name":"第%d街道","kind":"PROVINCE","basis":"x","reason":"","effectiveFrom":"2013-01-01"}`, i, i))
	}
	store := &batchLog{Store: memory.New()}
	_, err := projections.Rebuild(ctx, log, store, projections.WithBatchSize(100))
	require.NoError(t, err)
	sum := 0
	for _, n := range store.sizes {
		require.LessOrEqual(t, n, 100)
		sum += n
	}
	require.Equal(t, 1000, sum)
}

// stalledFeed delivers its backlog and then neither more events nor the
// caught-up signal: a batch must still be applied within the batch delay.
type stalledFeed struct {
	eventstore.Store
}

func (s stalledFeed) Subscribe(ctx context.Context, from eventstore.Position, handle func(eventstore.RecordedEvent) error, caughtUp func()) error {
	err := s.Store.Subscribe(ctx, from, handle, nil)
	return err
}

func TestBatchesAreBoundedInTime(t *testing.T) {
	log := newLog(t)
	var last eventstore.Position
	for i := range 256 { // one chunk
		last = appendRaw(t, log, fmt.Sprint("body-", i), domain.TypeBodyRegistered,
			fmt.Sprintf(`{"code":"%d","name":"第%d街道","kind":"PROVINCE","basis":"x","reason":"","effectiveFrom":"2013-01-01"}`, i, i))
	}
	p := projections.New(stalledFeed{log}, memory.New(), projections.WithBatchSize(1_000_000), projections.WithBatchDelay(20*time.Millisecond))
	run(t, p)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, p.WaitFor(wctx, last))
	require.False(t, p.CaughtUp())
}

func TestRunOnlyOnce(t *testing.T) {
	log := newLog(t)
	p := projections.New(log, memory.New())
	stop := run(t, p)
	require.Eventually(t, p.CaughtUp, 5*time.Second, time.Millisecond)
	require.ErrorContains(t, p.Run(ctx), "already running")
	require.NoError(t, stop())
}

// The event store closing ends Run with its error.
func TestRunEndsWhenTheLogCloses(t *testing.T) {
	log := eventmemory.New()
	p := projections.New(log, memory.New())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	require.Eventually(t, p.CaughtUp, 5*time.Second, time.Millisecond)
	require.NoError(t, log.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, eventstore.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end")
	}
}

func assertNoError(t *testing.T, err error) bool {
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}
