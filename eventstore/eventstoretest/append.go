package eventstoretest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

// testAppendAndRead: every envelope field comes back as written (UTF-8
// payloads byte for byte), from ReadStream and from ReadAll alike.
func testAppendAndRead(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	before := f.mark(t, s)
	a, b := f.stream("licence-a"), f.stream("licence-b")

	first := []eventstore.EventData{
		f.event("c1", 0, "ItemRegistered.v1", `{"name":"林木采伐许可证核发","code":"A-001"}`, `{"actor":"审批局","correlation":"c1"}`),
		f.event("c1", 1, "ItemRenamed.v1", `{"name":"林木采伐许可证核发（变更）"}`, ""),
		f.event("c1", 2, "ItemTagged.v1", `{"tags":["林业","许可"]}`, `{}`),
	}
	resA := appendOK(t, s, a, eventstore.NoStream(), first)
	require.Equal(t, uint64(2), resA.NextExpected)
	require.Greater(t, resA.Position, before)

	second := []eventstore.EventData{f.event("c2", 0, "BodyCreated.v1", `{"body":"省林业局"}`, `{"k":1}`), f.event("c2", 1, "BodyRenamed.v1", `{"body":"自然资源厅"}`, `{"k":2}`)}
	resB := appendOK(t, s, b, eventstore.NoStream(), second)
	require.Equal(t, uint64(1), resB.NextExpected)
	require.Greater(t, resB.Position, resA.Position)

	third := []eventstore.EventData{f.event("c3", 0, "ItemDelegated.v1", `{"to":"市级"}`, `{"note":"下放"}`)}
	resA2 := appendOK(t, s, a, eventstore.Exact(2), third)
	require.Equal(t, uint64(3), resA2.NextExpected)
	require.Greater(t, resA2.Position, resB.Position)

	wantA := append(append([]eventstore.EventData{}, first...), third...)
	gotA := readStream(t, s, a, 0)
	require.Len(t, gotA, 4)
	for i, e := range gotA {
		requireRecorded(t, wantA[i], a, uint64(i), e)
	}
	requireIncreasing(t, gotA)
	require.Equal(t, resA.Position, gotA[2].Position, "AppendResult.Position is the last event's")
	require.Equal(t, resA2.Position, gotA[3].Position)

	gotB := readStream(t, s, b, 0)
	require.Len(t, gotB, 2)
	for i, e := range gotB {
		requireRecorded(t, second[i], b, uint64(i), e)
	}
	require.Equal(t, resB.Position, gotB[1].Position)

	requireSameEvents(t, gotA[2:], readStream(t, s, a, 2))
	requireSameEvents(t, gotA[3:], readStream(t, s, a, 3))
	require.Empty(t, readStream(t, s, a, 4), "reading past the end")
	require.Empty(t, readStream(t, s, a, 100))
	require.Empty(t, readStream(t, s, f.stream("unknown"), 0), "unknown stream")

	feed := f.feed(t, s, before, 100)
	requireIncreasing(t, feed)
	requireSameEvents(t, []eventstore.RecordedEvent{gotA[0], gotA[1], gotA[2], gotB[0], gotB[1], gotA[3]}, feed)
	if h.Gapless {
		for i, e := range feed {
			require.Equal(t, before+eventstore.Position(i+1), e.Position, "gapless position")
		}
	}

	// The store must not keep the caller's buffers.
	first[0].Data[2] = 'X'
	requireRecorded(t, f.event("c1", 0, "ItemRegistered.v1", `{"name":"林木采伐许可证核发","code":"A-001"}`, `{"actor":"审批局","correlation":"c1"}`), a, 0, readStream(t, s, a, 0)[0])
}

// testExpectedRevision: each expectation against an empty and a non-empty
// stream; a failed append reports the stream's version and writes nothing.
func testExpectedRevision(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	before := f.mark(t, s)
	st := f.stream("exp")

	// Empty stream: only NoStream and Any may write; StreamExists and
	// Exact fail with Current 0.
	_, err := s.Append(context.Background(), st, eventstore.StreamExists(), events(1))
	requireConflict(t, err, st, 0)
	_, err = s.Append(context.Background(), st, eventstore.Exact(0), events(1))
	requireConflict(t, err, st, 0)
	require.Empty(t, readStream(t, s, st, 0), "failed appends write nothing")

	require.Equal(t, uint64(1), appendOK(t, s, st, eventstore.NoStream(), events(2)).NextExpected)

	_, err = s.Append(context.Background(), st, eventstore.NoStream(), events(1))
	requireConflict(t, err, st, 2)
	for _, r := range []uint64{0, 2, 5} {
		_, err = s.Append(context.Background(), st, eventstore.Exact(r), events(3))
		requireConflict(t, err, st, 2)
	}
	require.Len(t, readStream(t, s, st, 0), 2, "failed appends write nothing")

	require.Equal(t, uint64(2), appendOK(t, s, st, eventstore.Exact(1), events(1)).NextExpected)
	require.Equal(t, uint64(3), appendOK(t, s, st, eventstore.StreamExists(), events(1)).NextExpected)
	require.Equal(t, uint64(5), appendOK(t, s, st, eventstore.Any(), events(2)).NextExpected)

	other := f.stream("any-new")
	require.Equal(t, uint64(0), appendOK(t, s, other, eventstore.Any(), events(1)).NextExpected)
	_, err = s.Append(context.Background(), other, eventstore.Exact(1), events(1))
	requireConflict(t, err, other, 1)

	got := readStream(t, s, st, 0)
	require.Len(t, got, 6)
	for i, e := range got {
		require.Equal(t, uint64(i), e.Revision)
	}
	require.Len(t, f.feed(t, s, before, 100), 7, "the feed holds only successful appends")
}

// testConcurrentSameRevision: of writers racing at one expected revision
// exactly one wins, and only its events are stored.
func testConcurrentSameRevision(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	st := f.stream("race")
	appendOK(t, s, st, eventstore.NoStream(), events(1))

	const writers = 20
	batches := make([][]eventstore.EventData, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		batches[i] = events(2)
		wg.Go(func() {
			<-start
			_, errs[i] = s.Append(context.Background(), st, eventstore.Exact(0), batches[i])
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "two writers won at the same expected revision")
			winner = i
			continue
		}
		requireConflict(t, err, st, 3)
	}
	require.NotEqual(t, -1, winner, "no writer won")

	got := readStream(t, s, st, 0)
	require.Len(t, got, 3, "exactly the winner's events were added")
	require.Equal(t, batches[winner][0].ID, got[1].ID)
	require.Equal(t, batches[winner][1].ID, got[2].ID)
}

// testRetriedAppend: an append retried with the same event ids and
// expectation writes nothing and returns the original result; ids that
// match only in part, or not after the expected revision, conflict.
func testRetriedAppend(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	st := f.stream("retry")
	ids := func(cmd string, n int) []eventstore.EventData {
		evs := make([]eventstore.EventData, n)
		for i := range evs {
			evs[i] = eventstore.EventData{ID: eventstore.EventID(cmd, st, i), Type: "Retried.v1", Data: fmt.Appendf(nil, `{"cmd":%q,"i":%d}`, cmd, i)}
		}
		return evs
	}
	cmd1, cmd2 := ids("cmd-1", 2), ids("cmd-2", 3)
	r1 := appendOK(t, s, st, eventstore.NoStream(), cmd1)
	r2 := appendOK(t, s, st, eventstore.Exact(1), cmd2)
	require.Equal(t, uint64(4), r2.NextExpected)

	last := r2.Position
	require.Equal(t, r1, appendOK(t, s, st, eventstore.NoStream(), cmd1), "retry of the first append")
	require.Equal(t, r2, appendOK(t, s, st, eventstore.Exact(1), cmd2), "retry of the second append")
	if !h.AnyRetryBestEffort {
		require.Equal(t, r1, appendOK(t, s, st, eventstore.Any(), cmd1), "retry with Any")
		require.Equal(t, r2, appendOK(t, s, st, eventstore.Any(), cmd2), "retry with Any")
	}
	require.Len(t, readStream(t, s, st, 0), 5, "retries write nothing")
	require.Empty(t, f.feed(t, s, last, 100), "retries add nothing to the feed")

	partial := []eventstore.EventData{cmd1[0], events(1)[0]}
	_, err := s.Append(context.Background(), st, eventstore.NoStream(), partial)
	requireConflict(t, err, st, 5)
	// Same ids, but not right after the expected revision: not a retry.
	_, err = s.Append(context.Background(), st, eventstore.Exact(0), cmd1)
	requireConflict(t, err, st, 5)
	_, err = s.Append(context.Background(), st, eventstore.Exact(4), cmd2)
	requireConflict(t, err, st, 5)
	require.Len(t, readStream(t, s, st, 0), 5, "conflicting retries write nothing")

	// The stream goes on normally after retries.
	require.Equal(t, uint64(5), appendOK(t, s, st, eventstore.Exact(4), ids("cmd-3", 1)).NextExpected)
}
