package eventstoretest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

// fixture is one test's view of a store: its Opener and its stream prefix.
type fixture struct {
	h      Harness
	open   Opener
	prefix string
}

func newFixture(t *testing.T, h Harness) (*fixture, eventstore.Store) {
	t.Helper()
	f := &fixture{h: h, open: h.Storage(t), prefix: "t" + uuid.NewString()[:8] + "-"}
	return f, f.openStore(t)
}

// openStore opens a store and makes sure it is closed when the test ends.
func (f *fixture) openStore(t *testing.T) eventstore.Store {
	t.Helper()
	s, err := f.open()
	require.NoError(t, err, "open store")
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// stream names a stream private to this test.
func (f *fixture) stream(name string) string { return f.prefix + name }

func (f *fixture) mine(e eventstore.RecordedEvent) bool {
	return strings.HasPrefix(e.Stream, f.prefix)
}

// feed reads the whole feed after from in pages of limit and returns this
// test's events.
func (f *fixture) feed(t *testing.T, s eventstore.Store, from eventstore.Position, limit int) []eventstore.RecordedEvent {
	t.Helper()
	var out []eventstore.RecordedEvent
	for {
		page, err := s.ReadAll(context.Background(), from, limit)
		require.NoError(t, err, "ReadAll from %d", from)
		if len(page) == 0 {
			return out
		}
		require.LessOrEqual(t, len(page), limit, "ReadAll returned more than limit")
		for _, e := range page {
			require.Greater(t, e.Position, from, "ReadAll from %d returned position %d", from, e.Position)
			from = e.Position
			if f.mine(e) {
				out = append(out, e)
			}
		}
	}
}

// mark is where this test's events start in the feed: Start on a store of
// its own, the latest position on a shared one.
func (f *fixture) mark(t *testing.T, s eventstore.Store) eventstore.Position {
	t.Helper()
	p, err := s.LastPosition(context.Background())
	require.NoError(t, err)
	if !f.h.Shared {
		require.Equal(t, eventstore.Start, p, "a fresh store's LastPosition")
	}
	return p
}

// event returns test event data; the id is derived like a command's, from
// a command id private to the test.
func (f *fixture) event(cmd string, i int, typ, data, meta string) eventstore.EventData {
	e := eventstore.EventData{
		ID:   eventstore.EventID(f.prefix+cmd, "", i),
		Type: typ,
		Data: []byte(data),
	}
	if meta != "" {
		e.Metadata = []byte(meta)
	}
	return e
}

// events returns n small events with fresh ids.
func events(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = eventstore.EventData{
			ID:       uuid.New(),
			Type:     "Tested.v1",
			Data:     fmt.Appendf(nil, `{"i":%d}`, i),
			Metadata: []byte(`{"by":"suite"}`),
		}
	}
	return out
}

func appendOK(t *testing.T, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, evs []eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, exp, evs)
	require.NoError(t, err, "append %d events to %s expecting %s", len(evs), stream, exp)
	return res
}

func readStream(t *testing.T, s eventstore.Store, stream string, from uint64) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), stream, from)
	require.NoError(t, err, "read %s from %d", stream, from)
	return evs
}

// requireConflict asserts err is an expected-revision conflict on stream
// that saw current events.
func requireConflict(t *testing.T, err error, stream string, current uint64) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, eventstore.ErrWrongExpectedRevision)
	var ce *eventstore.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, stream, ce.Stream)
	require.Equal(t, current, ce.Current, "ConflictError.Current (version)")
}

// requireRecorded asserts got is want as recorded in stream at revision.
// Data and Metadata compare byte for byte; nil and empty are the same.
func requireRecorded(t *testing.T, want eventstore.EventData, stream string, revision uint64, got eventstore.RecordedEvent) {
	t.Helper()
	require.Equal(t, want.ID, got.ID, "ID")
	require.Equal(t, stream, got.Stream, "Stream")
	require.Equal(t, revision, got.Revision, "Revision")
	require.Equal(t, want.Type, got.Type, "Type")
	require.True(t, bytes.Equal(want.Data, got.Data), "Data: want %q, got %q", want.Data, got.Data)
	require.True(t, bytes.Equal(want.Metadata, got.Metadata), "Metadata: want %q, got %q", want.Metadata, got.Metadata)
	require.NotEqual(t, eventstore.Start, got.Position, "Position")
	require.False(t, got.RecordedAt.IsZero(), "RecordedAt")
	require.Equal(t, time.UTC, got.RecordedAt.Location(), "RecordedAt location")
	// Generous: a server's clock may differ a little from ours.
	require.WithinDuration(t, time.Now(), got.RecordedAt, 10*time.Minute, "RecordedAt")
}

// requireSameEvents compares two reads of the same events.
func requireSameEvents(t *testing.T, want, got []eventstore.RecordedEvent) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		require.True(t, bytes.Equal(w.Data, g.Data), "event %d Data", i)
		require.True(t, bytes.Equal(w.Metadata, g.Metadata), "event %d Metadata", i)
		w.Data, w.Metadata, g.Data, g.Metadata = nil, nil, nil, nil
		require.True(t, w.RecordedAt.Equal(g.RecordedAt), "event %d RecordedAt", i)
		w.RecordedAt, g.RecordedAt = time.Time{}, time.Time{}
		require.Equal(t, w, g, "event %d", i)
	}
}

func requireIncreasing(t *testing.T, evs []eventstore.RecordedEvent) {
	t.Helper()
	for i := 1; i < len(evs); i++ {
		require.Greater(t, evs[i].Position, evs[i-1].Position, "positions must increase strictly (event %d)", i)
	}
}
