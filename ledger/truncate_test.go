package ledger_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/esdb"
	"github.com/catalogue/catalogue/eventstore/esdb/esdbtest"
	"github.com/catalogue/catalogue/ledger"
)

// openESDB is a ledger on the EventStoreDB adapter and esdbtest's server,
// the one backend whose operators can truncate and soft-delete streams.
func openESDB(t *testing.T) (*esdbtest.Server, *esdb.Store) {
	t.Helper()
	srv, err := esdbtest.Start()
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	s, err := esdb.Open(context.Background(), srv.URL(), esdb.Options{StreamPrefixes: domain.StreamPrefixes(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return srv, s
}

// TestRevisionsAreTheServersAfterSoftDelete: an operator soft-deletes an
// item code's stream (to free the code of an item listed in error); the
// server keeps numbering the recreated stream where it stopped. The next
// listing with that code reads one event at revision 1, not 0, and the
// ledger must take revisions from the events, not count them.
func TestRevisionsAreTheServersAfterSoftDelete(t *testing.T) {
	srv, s := openESDB(t)
	first, err := ledger.New(s).ListItem(ctx, req("c1"), listing("511A0138600000", "教师资格认定"))
	require.NoError(t, err)
	require.Equal(t, uint64(0), first.Revision)

	require.NoError(t, srv.SoftDelete(domain.ItemCodeStream("511A0138600000")))
	l := ledger.New(s) // another process: nothing cached
	second, err := l.ListItem(ctx, req("c2"), listing("511A0138600000", "教师资格认定"))
	require.NoError(t, err)
	require.Equal(t, uint64(0), second.Revision, "the new item's own stream")
	codes, err := s.ReadStream(ctx, domain.ItemCodeStream("511A0138600000"), 0)
	require.NoError(t, err)
	require.Len(t, codes, 1)
	require.Equal(t, uint64(1), codes[0].Revision, "numbering continues after a soft delete")

	// A retry of the same command is recognised from the log, at the
	// server's revisions.
	again, err := ledger.New(s).ListItem(ctx, req("c2"), listing("511A0138600000", "教师资格认定"))
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, second.Revision, again.Revision)
}

// TestExpectedRevisionAfterTruncation: with `$tb` set on an item's stream
// the ledger reads fewer events than the stream holds; a client's
// expected revision is checked against the server's revision of the last
// event, so the current one passes and a stale one is a conflict.
func TestExpectedRevisionAfterTruncation(t *testing.T) {
	srv, s := openESDB(t)
	l := ledger.New(s)
	res, err := l.ListItem(ctx, req("c1"), listing("511A0138600000", "教师资格认定"))
	require.NoError(t, err)
	stream := domain.ItemStream(res.ID)
	for i, id := range []string{"a1", "a2"} {
		r := req(id)
		rev := uint64(i)
		r.ExpectedRevision = &rev
		res, err = l.AmendItem(ctx, r, res.ID, domain.AmendItem{Name: ptr("教师资格认定" + id), Change: chg("广安府发〔2023〕2号", "2023-02-01")})
		require.NoError(t, err)
	}
	require.Equal(t, uint64(2), res.Revision)
	_, err = srv.SetStreamMetadata(stream, []byte(`{"$tb": 1}`))
	require.NoError(t, err)

	stale := req("a3")
	one := uint64(1)
	stale.ExpectedRevision = &one
	_, err = ledger.New(s).AmendItem(ctx, stale, res.ID, domain.AmendItem{Name: ptr("教师资格认定3"), Change: chg("广安府发〔2023〕2号", "2023-03-01")})
	var de *domain.Error
	require.ErrorAs(t, err, &de, "a stale expected revision on a truncated stream")
	require.Equal(t, domain.CodeWrongExpectedVersion, de.Code)
}

func ptr[T any](v T) *T { return &v }
