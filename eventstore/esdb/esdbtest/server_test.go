package esdbtest_test

import (
	"context"
	"errors"
	"io"
	"math"
	"testing"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore/esdb/esdbtest"
)

// These tests hold the test server to shared/design/EVENTSTOREDB.md
// through the raw client: they check the stand-in, not a real server.

func client(t *testing.T) (*esdbtest.Server, *esdbclient.Client) {
	t.Helper()
	srv, err := esdbtest.Start()
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	conf, err := esdbclient.ParseConnectionString(srv.URL())
	require.NoError(t, err)
	conf.Logger = func(esdbclient.LogLevel, string, ...any) {}
	c, err := esdbclient.NewClient(conf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return srv, c
}

func evs(ids ...uuid.UUID) []esdbclient.EventData {
	out := make([]esdbclient.EventData, len(ids))
	for i, id := range ids {
		out[i] = esdbclient.EventData{EventID: id, EventType: "T.v1", ContentType: esdbclient.ContentTypeJson, Data: []byte(`{}`)}
	}
	return out
}

func appendTo(t *testing.T, c *esdbclient.Client, stream string, exp esdbclient.ExpectedRevision, e []esdbclient.EventData) (*esdbclient.WriteResult, error) {
	t.Helper()
	return c.AppendToStream(context.Background(), stream, esdbclient.AppendToStreamOptions{ExpectedRevision: exp}, e...)
}

func code(err error) esdbclient.ErrorCode {
	var e *esdbclient.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return -1
}

func TestAppendSemantics(t *testing.T) {
	_, c := client(t)
	a, b, x := uuid.New(), uuid.New(), uuid.New()

	_, err := appendTo(t, c, "s", esdbclient.Revision(0), evs(x))
	require.Equal(t, esdbclient.ErrorCodeWrongExpectedVersion, code(err))
	require.ErrorContains(t, err, "but got 'no_stream'")
	_, err = appendTo(t, c, "s", esdbclient.StreamExists{}, evs(x))
	require.Equal(t, esdbclient.ErrorCodeWrongExpectedVersion, code(err))

	first, err := appendTo(t, c, "s", esdbclient.NoStream{}, evs(a, b))
	require.NoError(t, err)
	require.Equal(t, uint64(1), first.NextExpectedVersion)
	require.Equal(t, first.CommitPosition, first.PreparePosition)

	// Exact/no_stream below current with matching ids: the original result.
	again, err := appendTo(t, c, "s", esdbclient.NoStream{}, evs(a, b))
	require.NoError(t, err)
	require.Equal(t, first, again)
	// Differing ids after the expected revision: wrong expected version.
	_, err = appendTo(t, c, "s", esdbclient.NoStream{}, evs(a, x))
	require.Equal(t, esdbclient.ErrorCodeWrongExpectedVersion, code(err))
	require.ErrorContains(t, err, "but got '1'")
	// Any with cached ids: nothing written, no position.
	cached, err := appendTo(t, c, "s", esdbclient.Any{}, evs(a, b))
	require.NoError(t, err)
	require.Equal(t, uint64(1), cached.NextExpectedVersion)
	require.Zero(t, cached.CommitPosition)
	// Expected == current appends even known ids, as the real server does.
	dup, err := appendTo(t, c, "s", esdbclient.Revision(1), evs(a, b))
	require.NoError(t, err)
	require.Equal(t, uint64(3), dup.NextExpectedVersion)
	require.Greater(t, dup.CommitPosition, first.CommitPosition+1, "positions have gaps")
}

func read(t *testing.T, open func() (*esdbclient.ReadStream, error)) ([]*esdbclient.ResolvedEvent, error) {
	t.Helper()
	rs, err := open()
	require.NoError(t, err)
	defer rs.Close()
	var out []*esdbclient.ResolvedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

func TestReadSemantics(t *testing.T) {
	_, c := client(t)
	ctx := context.Background()
	_, err := read(t, func() (*esdbclient.ReadStream, error) {
		return c.ReadStream(ctx, "missing", esdbclient.ReadStreamOptions{}, 10)
	})
	require.Equal(t, esdbclient.ErrorCodeResourceNotFound, code(err))

	_, err = appendTo(t, c, "s", esdbclient.NoStream{}, evs(uuid.New(), uuid.New(), uuid.New()))
	require.NoError(t, err)
	got, err := read(t, func() (*esdbclient.ReadStream, error) {
		return c.ReadStream(ctx, "s", esdbclient.ReadStreamOptions{From: esdbclient.Revision(1)}, 10)
	})
	require.NoError(t, err)
	require.Len(t, got, 2, "forwards from a revision is inclusive")
	require.WithinDuration(t, time.Now(), got[0].Event.CreatedDate, time.Minute)

	all, err := read(t, func() (*esdbclient.ReadStream, error) { return c.ReadAll(ctx, esdbclient.ReadAllOptions{}, 100) })
	require.NoError(t, err)
	require.Len(t, all, 4)
	require.Equal(t, "$epoch-information", all[0].Event.EventType, "the log starts with a system event")
	mid := all[2].Event.Position
	fwd, err := read(t, func() (*esdbclient.ReadStream, error) {
		return c.ReadAll(ctx, esdbclient.ReadAllOptions{From: mid}, 100)
	})
	require.NoError(t, err)
	require.Len(t, fwd, 2, "$all forwards is inclusive")
	back, err := read(t, func() (*esdbclient.ReadStream, error) {
		return c.ReadAll(ctx, esdbclient.ReadAllOptions{From: mid, Direction: esdbclient.Backwards}, 100)
	})
	require.NoError(t, err)
	require.Len(t, back, 2, "$all backwards is exclusive")
}

func TestSubscriptionSemantics(t *testing.T) {
	_, c := client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := appendTo(t, c, "other", esdbclient.NoStream{}, evs(uuid.New()))
	require.NoError(t, err)
	sub, err := c.SubscribeToAll(ctx, esdbclient.SubscribeToAllOptions{
		From:   esdbclient.Start{},
		Filter: &esdbclient.SubscriptionFilter{Type: esdbclient.StreamFilterType, Prefixes: []string{"item-"}},
	})
	require.NoError(t, err)
	defer sub.Close()
	// Nothing matched: 24.10's "no position" checkpoint, then CaughtUp.
	m := sub.Recv()
	require.NotNil(t, m.CheckPointReached)
	require.Equal(t, uint64(math.MaxUint64), m.CheckPointReached.Commit)
	require.NotNil(t, sub.Recv().CaughtUp)

	_, err = appendTo(t, c, "item-1", esdbclient.NoStream{}, evs(uuid.New()))
	require.NoError(t, err)
	m = sub.Recv()
	require.NotNil(t, m.EventAppeared)
	require.Equal(t, "item-1", m.EventAppeared.OriginalEvent().StreamID)
}
