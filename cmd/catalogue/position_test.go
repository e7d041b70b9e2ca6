package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

type checkpointer struct {
	pos eventstore.Position
	err error
}

func (c checkpointer) Checkpoint(context.Context) (eventstore.Position, error) { return c.pos, c.err }

// A position that cannot be read at start-up is logged and shown as
// "unknown", never as position 0 (the error used to be ignored).
func TestStartPositionUnreadable(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	require.Equal(t, "unknown", startPosition(context.Background(), checkpointer{err: errors.New("connection reset")}, logger))
	require.Contains(t, logs.String(), "cannot read their position")
	require.Contains(t, logs.String(), "connection reset")
	require.Equal(t, "7", startPosition(context.Background(), checkpointer{pos: 7}, logger))
}
