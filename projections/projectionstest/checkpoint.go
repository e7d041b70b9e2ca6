package projectionstest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// envelopes reads and decodes the scenario's whole log.
func (sc *scenario) envelopes(t *testing.T) []projections.Envelope {
	recs, err := sc.log.ReadAll(ctx, eventstore.Start, 100000)
	require.NoError(t, err)
	out := make([]projections.Envelope, len(recs))
	for i, r := range recs {
		out[i], err = projections.Decode(r)
		require.NoError(t, err)
	}
	return out
}

func logSize(t *testing.T, s projections.Store) int {
	p, err := s.Views().AuditLog(ctx, projections.AuditQuery{Page: projections.Page{First: projections.MaxPageSize}})
	require.NoError(t, err)
	for i, e := range p.Entries {
		require.Equal(t, eventstore.Position(i+1), e.Position, "each event once")
	}
	return len(p.Entries)
}

func requireCheckpoint(t *testing.T, s projections.Store, want eventstore.Position) {
	t.Helper()
	cp, err := s.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, want, cp)
}

// The checkpoint moves with the data, in the same step: a batch applied
// twice, or overlapping what was applied, changes nothing twice; a batch
// out of order is refused whole.
func testCheckpoint(t *testing.T, sc *scenario, s projections.Store) {
	envs := sc.envelopes(t)
	requireCheckpoint(t, s, eventstore.Start)

	require.NoError(t, s.Apply(ctx, envs[:10]))
	requireCheckpoint(t, s, 10)
	require.Equal(t, 10, logSize(t, s))

	require.NoError(t, s.Apply(ctx, envs[4:15]), "a batch overlapping the checkpoint")
	requireCheckpoint(t, s, 15)
	require.Equal(t, 15, logSize(t, s), "the overlap is not applied twice")
	require.NoError(t, s.Apply(ctx, envs[:15]), "a batch redelivered whole")
	requireCheckpoint(t, s, 15)
	require.Equal(t, 15, logSize(t, s))
	require.NoError(t, s.Apply(ctx, nil))
	requireCheckpoint(t, s, 15)

	require.Error(t, s.Apply(ctx, []projections.Envelope{envs[15], envs[17], envs[16]}), "positions must increase")
	requireCheckpoint(t, s, 15)
	require.Equal(t, 15, logSize(t, s), "a refused batch applies nothing")

	require.NoError(t, s.Apply(ctx, envs[15:]))
	last := envs[len(envs)-1].Position
	requireCheckpoint(t, s, last)
	require.Equal(t, len(envs), logSize(t, s))

	// An event of a stream that is not ours moves the checkpoint only.
	foreign, err := projections.Decode(eventstore.RecordedEvent{Stream: "$stats-127.0.0.1:2113", Type: "$statsCollected", Position: last + 1, Data: []byte("{")})
	require.NoError(t, err)
	require.Nil(t, foreign.Event)
	require.NoError(t, s.Apply(ctx, []projections.Envelope{foreign}))
	requireCheckpoint(t, s, last+1)
	require.Equal(t, len(envs), logSize(t, s))

	cancelled, cancel := contextWithCancel()
	cancel()
	require.Error(t, s.Apply(cancelled, []projections.Envelope{{RecordedEvent: eventstore.RecordedEvent{Stream: "other", Position: last + 2}}}))
	requireCheckpoint(t, s, last+1)
}

// Readers never see part of a batch: the log a reader sees always ends
// exactly at the position the answer reports.
func testWholeBatches(t *testing.T, sc *scenario, s projections.Store) {
	envs := sc.envelopes(t)
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				p, err := s.Views().AuditLog(ctx, projections.AuditQuery{Page: projections.Page{First: projections.MaxPageSize}})
				if !assertNoError(t, err) {
					return
				}
				if len(p.Entries) != int(p.AsOf) {
					t.Errorf("read %d events at position %d", len(p.Entries), p.AsOf)
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	for i := 0; i < len(envs); i += 5 {
		require.NoError(t, s.Apply(ctx, envs[i:min(i+5, len(envs))]))
	}
	close(done)
	wg.Wait()
}
