package eventstore_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

func TestExpectedRevisionCheck(t *testing.T) {
	for _, tc := range []struct {
		e       eventstore.ExpectedRevision
		version uint64
		ok      bool
	}{
		{eventstore.Any(), 0, true}, {eventstore.Any(), 7, true},
		{eventstore.NoStream(), 0, true}, {eventstore.NoStream(), 1, false},
		{eventstore.StreamExists(), 0, false}, {eventstore.StreamExists(), 3, true},
		{eventstore.Exact(0), 1, true}, {eventstore.Exact(0), 0, false}, {eventstore.Exact(4), 4, false},
		{eventstore.Exact(math.MaxUint64), 0, false}, // no overflow into "no stream"
		{eventstore.ExpectedFor(0), 0, true}, {eventstore.ExpectedFor(3), 3, true}, {eventstore.ExpectedFor(3), 4, false},
	} {
		require.Equal(t, tc.ok, tc.e.Check(tc.version), "%s on version %d", tc.e, tc.version)
	}
}

func TestFitsRetry(t *testing.T) {
	require.True(t, eventstore.NoStream().FitsRetry(0))
	require.False(t, eventstore.NoStream().FitsRetry(1))
	require.True(t, eventstore.Exact(4).FitsRetry(5))
	require.False(t, eventstore.Exact(4).FitsRetry(4))
	require.True(t, eventstore.StreamExists().FitsRetry(2))
	require.False(t, eventstore.StreamExists().FitsRetry(0))
	require.True(t, eventstore.Any().FitsRetry(9))
}

func TestEventIDIsDeterministicPerCommandStreamAndIndex(t *testing.T) {
	a := eventstore.EventID("cmd-1", "item-x", 0)
	require.Equal(t, a, eventstore.EventID("cmd-1", "item-x", 0))
	require.NotEqual(t, a, eventstore.EventID("cmd-1", "item-x", 1))
	require.NotEqual(t, a, eventstore.EventID("cmd-1", "item-y", 0))
	require.NotEqual(t, a, eventstore.EventID("cmd-2", "item-x", 0))
}
