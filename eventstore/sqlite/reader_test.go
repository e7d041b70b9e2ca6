package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/sqlite"
)

// TestReaderSeesAnotherWriter: a log opened for reading (as catalogue
// rebuild opens the log a running serve holds) reads what the writer
// appends, its subscription wakes for new events, and it cannot append.
func TestReaderSeesAnotherWriter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "events.db")
	w, err := sqlite.Open(path)
	require.NoError(t, err)
	defer w.Close()
	appendOne := func() eventstore.Position {
		res, err := w.Append(ctx, "item-1", eventstore.Any(), []eventstore.EventData{{ID: uuid.New(), Type: "T.v1", Data: []byte(`{"名称":"许可"}`), Metadata: []byte(`{}`)}})
		require.NoError(t, err)
		return res.Position
	}
	first := appendOne()

	r, err := sqlite.OpenReader(path)
	require.NoError(t, err)
	defer r.Close()
	last, err := r.LastPosition(ctx)
	require.NoError(t, err)
	require.Equal(t, first, last)
	_, err = r.Append(ctx, "item-1", eventstore.Any(), []eventstore.EventData{{ID: uuid.New(), Type: "T.v1", Data: []byte(`{}`), Metadata: []byte(`{}`)}})
	require.ErrorIs(t, err, sqlite.ErrReadOnly)

	got := make(chan eventstore.RecordedEvent, 4)
	sub, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- r.Subscribe(sub, eventstore.Start, func(e eventstore.RecordedEvent) error { got <- e; return nil }, func() {})
	}()
	require.Equal(t, first, (<-got).Position)
	second := appendOne()
	select {
	case e := <-got:
		require.Equal(t, second, e.Position)
		require.JSONEq(t, `{"名称":"许可"}`, string(e.Data))
	case <-ctx.Done():
		t.Fatal("the reader's subscription never saw the writer's append")
	}
	stop()
	<-done
	_, err = sqlite.OpenReader(filepath.Join(t.TempDir(), "missing.db"))
	require.Error(t, err, "a reader does not create a log")
}
