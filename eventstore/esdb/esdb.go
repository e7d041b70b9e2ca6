// Package esdb is the eventstore.Store adapter for EventStoreDB (and
// KurrentDB, which speaks the same gRPC protocol), through
// github.com/EventStore/EventStore-Client-Go/v4 pinned at v4.2.0 — the
// last release of that client.
//
// # Revisions and expectations
//
// EventStoreDB numbers stream events from 0, as the port does, so
// revisions pass through unchanged; Any, NoStream, StreamExists and
// Exact(r) map to the client's expectations of the same names.
//
// # Positions
//
// The port's Position is EventStoreDB's $all commit position. Events
// written through gRPC have commit == prepare, so the commit position alone
// names an event losslessly and Position p maps back to
// esdb.Position{Commit: p, Prepare: p}. The adapter checks this for every
// event it reads and fails loudly on an event whose positions differ (one
// written by an old TCP-client transaction), rather than hand out a
// position that does not round-trip. Position 0 (eventstore.Start) maps to
// the client's Start: a real log begins with system records, so no event
// of ours ever sits at commit position 0. A checkpoint a projector stores is
// such a commit position and resumes exactly where it stopped.
//
// # The feed
//
// ReadAll, Subscribe and LastPosition see only the project's events: in
// the streams named with Options.StreamPrefixes (every stream when none
// are given), never an event whose type starts with "$". The server writes
// such system records into the project's own streams too — a tombstone is
// a `$streamDeleted` record in the deleted stream — and no projector can
// decode them. Subscriptions filter on the server where it can: a server
// filter matches either stream names or event types, never both, so with
// prefixes it filters the streams and the adapter drops `$`-typed events
// itself. Reads of $all filter here, because the client's ReadAll takes no
// filter.
//
// # Idempotency
//
// Event ids derive from the command id (eventstore.EventID), and Append
// always sends the caller's exact expectation, because the server's
// event-id deduplication is reliable only for exact and no-stream
// expectations below the stream's current revision: there it compares the
// ids after the expected revision and, if all match, writes nothing and
// answers with the original revision. With Any or StreamExists it
// consults a bounded cache of recent commits and may append a retry again
// (the contract's AnyRetryBestEffort).
//
// When the server answers a retry with a revision other than the one the
// expectation implies, or without a position, the adapter reads the
// stream after the expected revision, finds the events by id and returns
// the original write's AppendResult, as the port requires; if the events
// there are not the caller's, Append fails rather than guess.
//
// The server appends even known ids when the expectation equals the
// current revision (a retry of an old command against a newer stream). To
// answer that as a conflict, as the port asks, the adapter remembers the
// ids it wrote recently (per process, bounded, like the server's own
// cache) and refuses an append whose first id it wrote at a revision the
// expectation does not fit. The ledger recognises retries itself by
// reading the stream, so this is a second line, not the only one.
//
// # Errors
//
// Every client error goes through Store.mapErr: wrong expected version
// becomes *eventstore.ConflictError, stream-not-found an empty read,
// a tombstoned stream ErrStreamDeleted, an append over the server's size
// limit ErrAppendTooLarge, transport failures ErrUnavailable. Append never retries on its own: a
// lost connection may or may not have written the events, and only the
// caller, with the same command id, can retry safely.
package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/catalogue/catalogue/eventstore"
)

// Options tune a Store; the zero value is usable.
type Options struct {
	// StreamPrefixes limits the feed to streams with these prefixes; empty
	// means every non-system event.
	StreamPrefixes []string
	// ConnectTimeout bounds Open's check that the server answers
	// (default 10 s).
	ConnectTimeout time.Duration
	// RetryMin and RetryMax bound the backoff between resubscriptions of a
	// dropped subscription (defaults 100 ms and 5 s).
	RetryMin, RetryMax time.Duration
	// Logger receives the client's own log lines (default slog.Default()).
	Logger *slog.Logger
}

// ErrUnavailable is matched with errors.Is for a server that cannot be
// reached or went away during a call. An Append that fails with it may
// or may not have been written; retry it with the same event ids.
var ErrUnavailable = errors.New("event store unavailable")

// readPage is how many events one read request asks for.
const readPage = 512

// recentIDs bounds the ids of recent appends the store remembers.
const recentIDs = 1 << 16

// written is where an appended event id was stored.
type written struct {
	stream   string
	revision uint64
}

// Store is an eventstore.Store on an EventStoreDB node or cluster.
type Store struct {
	client *esdbclient.Client
	feed   feedFilter
	opts   Options
	recent *lru.Cache[uuid.UUID, written]

	// closing is cancelled by Close; running subscriptions derive from it.
	closing context.Context
	close   context.CancelFunc
	mu      sync.Mutex
	closed  bool
}

var _ eventstore.Store = (*Store)(nil)

// Open connects to the server named by url (esdb://…, esdb+discover://…;
// TLS and credentials as the client's connection string allows) and
// checks that it answers, so that a wrong address fails at start with a
// clear error rather than at the first command.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 100 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(5*time.Second, opts.RetryMin)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	conf, err := esdbclient.ParseConnectionString(url)
	if err != nil {
		return nil, fmt.Errorf("esdb: connection string: %w", err)
	}
	log := opts.Logger
	conf.Logger = func(level esdbclient.LogLevel, format string, args ...any) {
		// The client's own retry chatter; errors matter only in context,
		// which the adapter's returned errors carry.
		lvl := slog.LevelDebug
		if level == esdbclient.LogError || level == esdbclient.LogWarn {
			lvl = slog.LevelInfo
		}
		log.Log(context.Background(), lvl, "eventstoredb client: "+fmt.Sprintf(format, args...))
	}
	client, err := esdbclient.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("esdb: client: %w", err)
	}
	recent, _ := lru.New[uuid.UUID, written](recentIDs)
	s := &Store{client: client, feed: newFeedFilter(opts.StreamPrefixes), opts: opts, recent: recent}
	s.closing, s.close = context.WithCancel(context.Background())

	pctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	if _, err := s.LastPosition(pctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("esdb: cannot use the server at %s: %w", RedactURL(url), err)
	}
	return s, nil
}

// RedactURL hides the credentials of a connection string, for messages.
func RedactURL(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if at := strings.LastIndex(rest, "@"); ok && at >= 0 {
		return scheme + "://***@" + rest[at+1:]
	}
	return url
}

// Close closes the client and ends running subscriptions with
// eventstore.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	s.closed = true
	s.close()
	return s.client.Close()
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// begin is the check every call makes first.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.isClosed() {
		return eventstore.ErrClosed
	}
	return nil
}

// Append implements eventstore.Store; see the package comment for
// idempotency.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if stream == "" {
		return eventstore.AppendResult{}, errors.New("esdb: append: empty stream name")
	}
	if len(events) == 0 {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: no events", stream)
	}
	if err := s.begin(ctx); err != nil {
		return eventstore.AppendResult{}, err
	}
	if w, ok := s.recent.Get(events[0].ID); ok && w.stream == stream && !expected.FitsRetry(w.revision) {
		// Known ids, not right after the expectation: not a retry (see
		// the package comment), and the server might append them again.
		return eventstore.AppendResult{}, s.conflict(ctx, stream, expected, nil)
	}
	data := make([]esdbclient.EventData, len(events))
	for i, e := range events {
		data[i] = esdbclient.EventData{EventID: e.ID, EventType: e.Type, ContentType: esdbclient.ContentTypeJson, Data: e.Data, Metadata: e.Metadata}
	}
	wr, err := s.client.AppendToStream(ctx, stream, esdbclient.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}, data...)
	if err != nil {
		return eventstore.AppendResult{}, s.mapErr(ctx, err, "append to "+stream, stream, &expected)
	}
	res, err := s.result(ctx, stream, expected, events, wr)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	first := res.NextExpected + 1 - uint64(len(events))
	for i, e := range events {
		s.recent.Add(e.ID, written{stream: stream, revision: first + uint64(i)})
	}
	return res, nil
}

// result turns the server's answer into the port's. A fresh write and a
// deduplicated exact retry carry the revision the expectation implies and
// a position; anything else (a retry answered from the server's commit
// cache, with another revision or no position) is checked by reading the
// events back.
func (s *Store) result(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData, wr *esdbclient.WriteResult) (eventstore.AppendResult, error) {
	n := uint64(len(events))
	if wr.CommitPosition != wr.PreparePosition {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: commit position %d differs from prepare position %d", stream, wr.CommitPosition, wr.PreparePosition)
	}
	var first uint64
	var known bool
	switch r, exact := expected.Revision(); {
	case exact:
		first, known = r+1, true
	case expected.IsNoStream():
		first, known = 0, true
	}
	if wr.CommitPosition != 0 && (!known || wr.NextExpectedVersion == first+n-1) {
		return eventstore.AppendResult{NextExpected: wr.NextExpectedVersion, Position: eventstore.Position(wr.CommitPosition)}, nil
	}
	if !known {
		if wr.NextExpectedVersion+1 < n {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: server reported revision %d for %d events", stream, wr.NextExpectedVersion, n)
		}
		first = wr.NextExpectedVersion + 1 - n
	}
	stored, err := s.readStream(ctx, stream, first, n)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if uint64(len(stored)) < n {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: server reported success but revisions %d… hold %d events", stream, first, len(stored))
	}
	for i, e := range events {
		if stored[i].ID != e.ID {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: server reported success but revision %d holds event %s, not %s", stream, stored[i].Revision, stored[i].ID, e.ID)
		}
	}
	last := stored[n-1]
	return eventstore.AppendResult{NextExpected: last.Revision, Position: last.Position}, nil
}

func toExpected(e eventstore.ExpectedRevision) esdbclient.ExpectedRevision {
	if r, ok := e.Revision(); ok {
		return esdbclient.Revision(r)
	}
	switch {
	case e.IsNoStream():
		return esdbclient.NoStream{}
	case e.IsStreamExists():
		return esdbclient.StreamExists{}
	default:
		return esdbclient.Any{}
	}
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64) ([]eventstore.RecordedEvent, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	var out []eventstore.RecordedEvent
	for {
		page, err := s.readStream(ctx, stream, from, readPage)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < readPage {
			return out, nil
		}
		from = page[len(page)-1].Revision + 1
	}
}

// readStream reads up to count events of stream from revision from; a
// missing stream reads as empty.
func (s *Store) readStream(ctx context.Context, stream string, from, count uint64) ([]eventstore.RecordedEvent, error) {
	rs, err := s.client.ReadStream(ctx, stream, esdbclient.ReadStreamOptions{From: esdbclient.Revision(from)}, count)
	if err != nil {
		return nil, s.mapErr(ctx, err, "read "+stream, stream, nil)
	}
	out, err := s.collect(ctx, rs, "read "+stream, nil)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	return out, err
}

// collect drains a read, keeping the events keep accepts (all if nil).
// It also returns the position of the last event read, kept or not.
func (s *Store) collect(ctx context.Context, rs *esdbclient.ReadStream, op string, keep func(*esdbclient.RecordedEvent) bool) ([]eventstore.RecordedEvent, error) {
	defer rs.Close()
	var out []eventstore.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, s.mapErr(ctx, err, op, "", nil)
		}
		e := ev.OriginalEvent()
		if keep != nil && !keep(e) {
			continue
		}
		r, err := recorded(e)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
}

// recorded converts a client event to the port's envelope, checking that
// its position round-trips (see the package comment).
func recorded(e *esdbclient.RecordedEvent) (eventstore.RecordedEvent, error) {
	if e.Position.Commit != e.Position.Prepare {
		return eventstore.RecordedEvent{}, fmt.Errorf("esdb: event %s of %s: commit position %d differs from prepare position %d; it cannot be a feed position", e.EventID, e.StreamID, e.Position.Commit, e.Position.Prepare)
	}
	return eventstore.RecordedEvent{
		ID:         e.EventID,
		Stream:     e.StreamID,
		Revision:   e.EventNumber,
		Position:   eventstore.Position(e.Position.Commit),
		Type:       e.EventType,
		Data:       nonEmpty(e.Data),
		Metadata:   nonEmpty(e.UserMetadata),
		RecordedAt: e.CreatedDate.UTC(),
	}, nil
}

// nonEmpty returns nil for an empty payload: the client sends nil as
// empty, and the port treats them alike.
func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// allPosition maps a port position to the client's.
func allPosition(p eventstore.Position) esdbclient.AllPosition {
	if p == eventstore.Start {
		return esdbclient.Start{}
	}
	return esdbclient.Position{Commit: uint64(p), Prepare: uint64(p)}
}

// ReadAll implements eventstore.Store. The server reads $all forwards
// inclusively, so the event at from itself is skipped; system and other
// foreign events are skipped too, and reading goes on until a page has an
// event of ours or the log ends, so that an empty answer means "nothing
// more".
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("esdb: read all: limit %d must be positive", limit)
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	batch := uint64(min(limit+1, readPage))
	cursor := from
	var out []eventstore.RecordedEvent
	for {
		rs, err := s.client.ReadAll(ctx, esdbclient.ReadAllOptions{From: allPosition(cursor)}, batch)
		if err != nil {
			return nil, s.mapErr(ctx, err, "read $all", "", nil)
		}
		var seen uint64
		next := cursor
		page, err := s.collect(ctx, rs, "read $all", func(e *esdbclient.RecordedEvent) bool {
			seen++
			if p := eventstore.Position(e.Position.Commit); p > next {
				next = p
			}
			return eventstore.Position(e.Position.Commit) > cursor && s.feed.match(e.StreamID, e.EventType)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, page[:min(len(page), limit-len(out))]...)
		if len(out) == limit || seen < batch || next == cursor {
			return out, nil
		}
		cursor = next
	}
}

// LastPosition implements eventstore.Store: the position of the latest
// event of the feed, read backwards from the end of $all past any system
// events after it.
func (s *Store) LastPosition(ctx context.Context) (eventstore.Position, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	var from esdbclient.AllPosition = esdbclient.End{}
	for {
		rs, err := s.client.ReadAll(ctx, esdbclient.ReadAllOptions{From: from, Direction: esdbclient.Backwards}, readPage)
		if err != nil {
			return 0, s.mapErr(ctx, err, "read $all backwards", "", nil)
		}
		var seen uint64
		var oldest esdbclient.Position
		page, err := s.collect(ctx, rs, "read $all backwards", func(e *esdbclient.RecordedEvent) bool {
			seen++
			oldest = e.Position
			return s.feed.match(e.StreamID, e.EventType)
		})
		if err != nil {
			return 0, err
		}
		if len(page) > 0 {
			return page[0].Position, nil
		}
		if seen < readPage {
			return eventstore.Start, nil
		}
		from = oldest // backwards reads are exclusive
	}
}

// feedFilter is the feed's filter, applied here to everything read from
// $all and, as far as a server filter can express it, by the server to
// subscriptions.
type feedFilter struct{ prefixes []string }

func newFeedFilter(prefixes []string) feedFilter {
	return feedFilter{prefixes: append([]string(nil), prefixes...)}
}

func (f feedFilter) match(stream, typ string) bool {
	if typ == "" || typ[0] == '$' { // as ExcludeSystemEventsFilter's "^[^\$].*"
		return false
	}
	if len(f.prefixes) == 0 {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(stream, p) {
			return true
		}
	}
	return false
}

// subscription is as much of the filter as the server can apply: the
// stream prefixes, or else the event types. With prefixes, `$`-typed
// events in the project's streams still arrive and match drops them.
func (f feedFilter) subscription() *esdbclient.SubscriptionFilter {
	if len(f.prefixes) == 0 {
		return esdbclient.ExcludeSystemEventsFilter()
	}
	return &esdbclient.SubscriptionFilter{Type: esdbclient.StreamFilterType, Prefixes: f.prefixes}
}
