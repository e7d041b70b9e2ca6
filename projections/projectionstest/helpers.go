package projectionstest

import (
	"context"
	"testing"
)

func contextWithCancel() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }

// assertNoError reports err without stopping the test: usable from
// goroutines other than the test's own.
func assertNoError(t *testing.T, err error) bool {
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}
