package app

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

type checkpointer struct {
	pos eventstore.Position
	err error
}

func (c checkpointer) Checkpoint(context.Context) (eventstore.Position, error) { return c.pos, c.err }

// Read models whose position cannot be read make Start refuse to start
// (it used to go on and report position 0).
func TestReportPositionRefusesAnUnreadablePosition(t *testing.T) {
	var progress bytes.Buffer
	err := reportPosition(context.Background(), checkpointer{err: errors.New("connection reset")}, &progress, time.Now())
	require.ErrorContains(t, err, "read their position: connection reset")
	require.Empty(t, progress.String())

	require.NoError(t, reportPosition(context.Background(), checkpointer{pos: 42}, &progress, time.Now()))
	require.Contains(t, progress.String(), "read models at position 42")
}
