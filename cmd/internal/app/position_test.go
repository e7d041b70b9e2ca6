package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
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

// A position that cannot be read at serve's start-up is logged and shown
// as "unknown", never as position 0 (the error used to be ignored).
func TestPositionTextUnreadable(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	require.Equal(t, "unknown", PositionText(context.Background(), checkpointer{err: errors.New("connection reset")}, logger))
	require.Contains(t, logs.String(), "cannot read their position")
	require.Contains(t, logs.String(), "connection reset")
	require.Equal(t, "7", PositionText(context.Background(), checkpointer{pos: 7}, logger))
}
