package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/catalogue/catalogue/eventstore"
)

// errNotFound is mapErr's answer for a missing stream; reads turn it into
// an empty result and it never leaves the package.
var errNotFound = errors.New("stream not found")

// ErrStreamDeleted is matched with errors.Is for a tombstoned stream: it
// can be neither read nor appended to again.
var ErrStreamDeleted = errors.New("stream deleted")

// ErrAppendTooLarge is matched with errors.Is for an append the server
// refuses for its size (1 MiB of data, metadata and types by default, the
// server's MaxAppendSize): nothing was written, and a retry fails alike.
var ErrAppendTooLarge = errors.New("append larger than the server accepts")

// ErrAccessDenied is matched with errors.Is when the server refuses the
// credentials of the connection string.
var ErrAccessDenied = errors.New("access denied")

// mapErr is the one place where the client's errors become the port's.
// op names the call for the message; stream and expected, when the call
// is an append, let a wrong-expected-version answer become a
// *eventstore.ConflictError.
//
// The order matters: a done context or a closed store explain any error
// the client reports after them, so they come first.
func (s *Store) mapErr(ctx context.Context, err error, op, stream string, expected *eventstore.ExpectedRevision) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("esdb: %s: %w", op, cerr)
	}
	if s.isClosed() {
		return eventstore.ErrClosed
	}
	var e *esdbclient.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdbclient.ErrorCodeWrongExpectedVersion:
			if expected != nil {
				return s.conflict(ctx, stream, *expected, e)
			}
		case esdbclient.ErrorCodeResourceNotFound:
			return errNotFound
		case esdbclient.ErrorCodeStreamDeleted:
			return fmt.Errorf("esdb: %s: %w", op, ErrStreamDeleted)
		case esdbclient.ErrorCodeUnauthenticated, esdbclient.ErrorCodeAccessDenied:
			return fmt.Errorf("esdb: %s: %w: %v", op, ErrAccessDenied, err)
		case esdbclient.ErrorCodeConnectionClosed, esdbclient.ErrorUnavailable, esdbclient.ErrorCodeDeadlineExceeded,
			esdbclient.ErrorAborted, esdbclient.ErrorCodeNotLeader:
			return fmt.Errorf("esdb: %s: %w: %v", op, ErrUnavailable, err)
		}
	}
	// A connection that closes under a request surfaces as a bare EOF
	// (the client wraps it with ErrorCode 0): the server is gone.
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("esdb: %s: %w: %v", op, ErrUnavailable, err)
	}
	// The size limit comes back as a bare InvalidArgument (the client
	// calls it ErrorCodeUnknown); its message is the server's
	// "Maximum Append Size of N Exceeded.".
	if st, ok := status.FromError(err); ok && st.Code() == codes.InvalidArgument && strings.Contains(st.Message(), "Maximum Append Size") {
		return fmt.Errorf("esdb: %s: %w (%s)", op, ErrAppendTooLarge, st.Message())
	}
	// Errors the client passes through unwrapped (a dropped subscription
	// carries the raw gRPC status) are classed by their status code.
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.Canceled:
		return fmt.Errorf("esdb: %s: %w: %v", op, ErrUnavailable, err)
	}
	return fmt.Errorf("esdb: %s: %w", op, err)
}

// gotRevision reads the current revision out of the client's
// wrong-expected-version message ("… but got '4'" or "… but got
// 'no_stream'"): v4.2.0 keeps the server's current revision nowhere else.
var gotRevision = regexp.MustCompile(`but got '([^']*)'`)

// conflict builds the ConflictError for stream. Current is the stream's
// version (number of events): from the server's answer when there is one,
// else read from the stream.
func (s *Store) conflict(ctx context.Context, stream string, expected eventstore.ExpectedRevision, e *esdbclient.Error) error {
	c := &eventstore.ConflictError{Stream: stream, Expected: expected}
	if e != nil {
		if m := gotRevision.FindStringSubmatch(e.Error()); m != nil {
			if m[1] == "no_stream" {
				return c
			}
			if r, err := strconv.ParseUint(m[1], 10, 64); err == nil {
				c.Current = r + 1
				return c
			}
		}
	}
	v, err := s.version(ctx, stream)
	if err != nil {
		return fmt.Errorf("esdb: append to %s: %w (and reading its revision failed: %v)", stream, eventstore.ErrWrongExpectedRevision, err)
	}
	c.Current = v
	return c
}

// version is the number of events in stream, read from its last event.
func (s *Store) version(ctx context.Context, stream string) (uint64, error) {
	rs, err := s.client.ReadStream(ctx, stream, esdbclient.ReadStreamOptions{From: esdbclient.End{}, Direction: esdbclient.Backwards}, 1)
	if err != nil {
		return 0, s.mapErr(ctx, err, "read "+stream, stream, nil)
	}
	last, err := s.collect(ctx, rs, "read "+stream, nil)
	switch {
	case errors.Is(err, errNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case len(last) == 0:
		return 0, nil
	}
	return last[0].Revision + 1, nil
}
