// Package esdbtest is an in-process stand-in for an EventStoreDB node: a
// gRPC server on 127.0.0.1 that implements the Streams and ServerFeatures
// services from the EventStore-Client-Go v4.2.0 module's own generated
// stubs, backed by an in-memory log.
//
// It exists because no EventStoreDB server can run where the tests run. A
// test against it proves the adapter against the real client's wire code
// (encoding, streaming, error mapping, subscription framing) and against
// the server semantics written down in shared/design/EVENTSTOREDB.md; it
// does not prove the adapter against the real server. Where it follows the
// real server:
//
//   - 0-based stream revisions; expected revision any / no_stream /
//     stream_exists / exact; wrong expected version answered in-band with
//     the current revision, as AppendResp.WrongExpectedVersion.
//   - Event-id idempotency as the server's CheckCommit does it: with an
//     exact or no_stream expectation below the current revision the ids
//     after the expected revision are compared (all match: the original
//     result, nothing written; otherwise wrong expected version);
//     expected == current always appends; any/stream_exists consult a
//     commit cache, which, as a real node's, is lost on Restart and can
//     be made to forget with ForgetCommits (a busy node's bounded cache
//     forgets too): a retry with any is then appended again.
//   - The maximum append size (MaxAppendSize, summed over the request as
//     the server does): InvalidArgument, nothing written.
//   - $all positions are increasing byte-offset-like numbers with gaps
//     (commit == prepare), and the log starts with a system event, so an
//     unfiltered reader sees `$`-prefixed streams and types as on a real
//     node.
//   - Reads: stream forwards/backwards inclusive, $all forwards inclusive
//     and backwards exclusive, stream_not_found in-band; `type`,
//     `content-type` and `created` (100 ns ticks since the Unix epoch,
//     decimal) on every event.
//   - Subscriptions to $all: confirmation, catch-up, CheckpointReached
//     every max_search_window × multiplier scanned events when filtered and
//     once before CaughtUp (as 24.10 does: (2^64−1, 2^64−1) when nothing
//     matched yet), CaughtUp, then live events; `from` is exclusive.
//   - Keepalive enforcement permits the client's 10 s pings; the version
//     string is plain X.Y.Z.
//   - System records in the project's streams, written by test helpers as
//     an operator's tools would have the server write them: `$`-typed
//     events (AppendSystemEvent), stream metadata as a `$metadata` event in
//     the `$$<stream>` stream (SetStreamMetadata), and tombstones
//     (Tombstone: a `$streamDeleted` record at revision 2^63−1 in the
//     stream itself, after which reads and appends of the stream fail with
//     FailedPrecondition and the `exception: stream-deleted` trailer).
//   - Truncation and soft delete as a stream read sees them: `$tb`
//     (truncate before), `$maxCount` and `$maxAge` (seconds) in the
//     metadata hide the events they cut off, numbering unchanged; SoftDelete sets `$tb` past the
//     last event, after which the stream reads as not found and an
//     append with no_stream or any recreates it, numbering continuing.
//     $all still holds the cut-off events (a real node drops them only at
//     scavenge, which is not implemented).
//   - Subscriptions ended with the status codes a node sends on restarts,
//     overload and leader changes (EndSubscriptions).
//
// Not implemented: scavenging, stream subscriptions, persistent
// subscriptions, projections, gossip, authentication, TLS, link
// resolution.
package esdbtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// Version is what GetSupportedMethods reports: plain X.Y.Z, as the client
// parses it.
const Version = "24.10.0"

// record is one event in the log.
type record struct {
	id          uuid.UUID
	stream      string
	revision    uint64
	pos         uint64 // commit == prepare
	typ         string
	contentType string
	data, meta  []byte
	created     int64 // 100 ns ticks since the Unix epoch
}

// Server is the in-process test server. Its log lives as long as the
// Server, across Restart, so a test can drop connections and
// subscriptions without losing events.
type Server struct {
	mu      sync.Mutex
	log     []*record
	streams map[string][]*record
	ids     map[uuid.UUID]*record // the commit cache for any/stream_exists; see ForgetCommits
	next    uint64                // the next position
	changed chan struct{}         // closed and replaced on every append
	drop    *ending               // replaced by EndSubscriptions
	deleted map[string]bool       // tombstoned streams
	meta    map[string]streamMeta // from the last `$metadata` of `$$<stream>`

	addr   string
	grpc   *grpc.Server
	subs   int // subscriptions started, for tests of resubscription
	rewind int // fault injection: see RewindSubscriptions
	fail   struct {
		reads int            // how many more reads of $all fail
		err   *status.Status // and with what
	}
}

// Start starts a server on a free port of 127.0.0.1. Stop it with Stop.
func Start() (*Server, error) {
	s := &Server{
		streams: make(map[string][]*record),
		ids:     make(map[uuid.UUID]*record),
		next:    1 << 10, // a real log starts with epoch and settings records
		changed: make(chan struct{}),
		drop:    &ending{ch: make(chan struct{})},
		deleted: make(map[string]bool),
		meta:    make(map[string]streamMeta),
	}
	// A system event first, as on a real node, so that filters matter.
	s.write("$epoch-information", []*api.AppendReq_ProposedMessage{{
		Id:       structuredID(uuid.New()),
		Data:     []byte(`{}`),
		Metadata: map[string]string{"type": "$epoch-information", "content-type": "application/json"},
	}})
	if err := s.serve("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) serve(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("esdbtest: listen: %w", err)
	}
	g := grpc.NewServer(
		// The client pings every 10 s, even without a call in flight; the
		// default policy (5 min) would answer with GOAWAY.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
	)
	api.RegisterStreamsServer(g, &streams{s: s})
	serverfeatures.RegisterServerFeaturesServer(g, features{})
	s.mu.Lock()
	s.addr, s.grpc = lis.Addr().String(), g
	s.mu.Unlock()
	go func() { _ = g.Serve(lis) }()
	return nil
}

// Addr is host:port of the server.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL is a connection string for the client: single node, no TLS.
func (s *Server) URL() string { return "esdb://" + s.Addr() + "?tls=false" }

// Stop stops serving; running calls end with Unavailable.
func (s *Server) Stop() {
	s.mu.Lock()
	g := s.grpc
	s.mu.Unlock()
	g.Stop()
}

// Restart stops serving and serves the same log again on the same
// address, like a node restart: connections, subscriptions and the commit
// cache are lost, the events are not.
func (s *Server) Restart() error {
	s.Stop()
	s.ForgetCommits()
	return s.serve(s.Addr())
}

// ForgetCommits empties the commit cache that answers retries with an
// any or stream_exists expectation, as a real node's bounded cache
// forgets older commits under load.
func (s *Server) ForgetCommits() {
	s.mu.Lock()
	clear(s.ids)
	s.mu.Unlock()
}

// MaxAppendSize is a real node's default limit on one append request:
// data, metadata and twice the type's length, summed over its events.
const MaxAppendSize = 1 << 20

// Subscriptions is how many subscriptions to $all have been started.
func (s *Server) Subscriptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subs
}

// RewindSubscriptions makes every later subscription start n records
// before the position it asks for. A real server does not do this; it is
// a fault injected to prove that a subscriber drops what it has already
// delivered.
func (s *Server) RewindSubscriptions(n int) {
	s.mu.Lock()
	s.rewind = n
	s.mu.Unlock()
}

// ending ends the subscriptions running when ch is closed with err.
type ending struct {
	ch      chan struct{}
	err     error
	trailer metadata.MD
}

// FailReads makes the next n reads of $all (not subscriptions) fail with
// st, as a node does while it starts, stops or changes leader.
func (s *Server) FailReads(n int, st *status.Status) {
	s.mu.Lock()
	s.fail.reads, s.fail.err = n, st
	s.mu.Unlock()
}

// failRead reports the injected failure of a read of $all, if one is due.
func (s *Server) failRead() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail.reads == 0 {
		return nil
	}
	s.fail.reads--
	return s.fail.err.Err()
}

// DropSubscriptions ends every running subscription with Unavailable, as a
// node does when it shuts down, while the connection stays up.
func (s *Server) DropSubscriptions() {
	s.EndSubscriptions(status.New(codes.Unavailable, "esdbtest: subscription dropped"), nil)
}

// EndSubscriptions ends every running subscription with st and, if not
// nil, the trailer, while the connection stays up. A real node ends them
// with Unavailable ("Server Is Not Ready", "Server Is Too Busy") around
// restarts, Aborted ("Operation timed out"), NotFound ("Leader info
// available", with the trailer exception: not-leader and the leader's
// endpoint) when it stops being the leader, Unknown ("No leader info
// available in response") during an election; gRPC itself adds
// DeadlineExceeded, ResourceExhausted and Internal (a reset stream).
func (s *Server) EndSubscriptions(st *status.Status, trailer metadata.MD) {
	s.mu.Lock()
	old := s.drop
	old.err, old.trailer = st.Err(), trailer
	s.drop = &ending{ch: make(chan struct{})}
	close(old.ch)
	s.mu.Unlock()
}

// AppendSystemEvent appends an event of type typ, which must start with
// "$", to stream with the next revision, as the server lets a client with
// the rights do; it returns the event's $all position.
func (s *Server) AppendSystemEvent(stream, typ string) (uint64, error) {
	if !strings.HasPrefix(typ, "$") {
		return 0, fmt.Errorf("esdbtest: %q is not a system event type", typ)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted[stream] {
		return 0, fmt.Errorf("esdbtest: stream %s is deleted", stream)
	}
	return s.write(stream, []*api.AppendReq_ProposedMessage{systemMessage(typ, []byte(`{}`))}).pos, nil
}

// streamMeta is the part of a stream's metadata this server acts on.
type streamMeta struct {
	TruncateBefore *uint64 `json:"$tb,omitempty"`
	MaxCount       *uint64 `json:"$maxCount,omitempty"`
	MaxAge         *uint64 `json:"$maxAge,omitempty"` // seconds
	softDeleted    bool    // until the next append
}

// visible is the records of recs a stream read returns under m.
func (m streamMeta) visible(recs []*record) []*record {
	from := uint64(0)
	if m.TruncateBefore != nil {
		from = *m.TruncateBefore
	}
	if m.MaxCount != nil && uint64(len(recs)) > *m.MaxCount {
		from = max(from, uint64(len(recs))-*m.MaxCount)
	}
	if m.MaxAge != nil { // events are created in revision order
		oldest := time.Now().Add(-time.Duration(*m.MaxAge)*time.Second).UnixNano() / 100
		for from < uint64(len(recs)) && recs[from].created < oldest {
			from++
		}
	}
	return recs[min(from, uint64(len(recs))):]
}

// SetStreamMetadata writes stream's metadata (JSON such as
// {"$maxCount": 10}) as the server does: a `$metadata` event in the
// `$$<stream>` stream. Of its keys, `$tb` and `$maxCount` apply to later
// reads of the stream.
func (s *Server) SetStreamMetadata(stream string, metadataJSON []byte) (uint64, error) {
	var m streamMeta
	if err := json.Unmarshal(metadataJSON, &m); err != nil {
		return 0, fmt.Errorf("esdbtest: stream metadata: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meta[stream] = m
	return s.write("$$"+stream, []*api.AppendReq_ProposedMessage{systemMessage("$metadata", metadataJSON)}).pos, nil
}

// SoftDelete deletes stream as the server's soft delete does: metadata
// with `$tb` past the last event. The stream then reads as not found
// until an append recreates it.
func (s *Server) SoftDelete(stream string) error {
	s.mu.Lock()
	n := uint64(len(s.streams[stream]))
	s.mu.Unlock()
	if n == 0 {
		return fmt.Errorf("esdbtest: no stream %s to delete", stream)
	}
	if _, err := s.SetStreamMetadata(stream, fmt.Appendf(nil, `{"$tb": %d}`, n)); err != nil {
		return err
	}
	s.mu.Lock()
	m := s.meta[stream]
	m.softDeleted = true
	s.meta[stream] = m
	s.mu.Unlock()
	return nil
}

// Tombstone hard-deletes stream as the server does: a `$streamDeleted`
// record in the stream itself, at revision 2^63−1 (EventNumber.DeletedStream),
// visible in $all; the stream can be neither read nor appended to again.
func (s *Server) Tombstone(stream string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted[stream] {
		return 0, fmt.Errorf("esdbtest: stream %s is already deleted", stream)
	}
	r := s.write(stream, []*api.AppendReq_ProposedMessage{systemMessage("$streamDeleted", nil)})
	r.revision = math.MaxInt64
	s.deleted[stream] = true
	return r.pos, nil
}

func systemMessage(typ string, data []byte) *api.AppendReq_ProposedMessage {
	return &api.AppendReq_ProposedMessage{
		Id:       structuredID(uuid.New()),
		Data:     data,
		Metadata: map[string]string{"type": typ, "content-type": "application/json"},
	}
}

// streamDeleted is the server's answer to a read of or an append to a
// tombstoned stream; the client maps the trailer to ErrorCodeStreamDeleted.
func streamDeleted(stream string, setTrailer func(metadata.MD)) error {
	setTrailer(metadata.Pairs("exception", "stream-deleted", "stream-name", stream))
	return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream)
}

// write appends under the lock; the caller decided the expectation.
func (s *Server) write(stream string, msgs []*api.AppendReq_ProposedMessage) *record {
	created := time.Now().UnixNano() / 100
	var last *record
	for _, m := range msgs {
		id, _ := protoID(m.GetId())
		r := &record{
			id:          id,
			stream:      stream,
			revision:    uint64(len(s.streams[stream])),
			pos:         s.next,
			typ:         m.GetMetadata()["type"],
			contentType: m.GetMetadata()["content-type"],
			data:        append([]byte{}, m.GetData()...),
			meta:        append([]byte{}, m.GetCustomMetadata()...),
			created:     created,
		}
		if r.contentType != "application/json" {
			r.contentType = "application/octet-stream"
		}
		// Byte-offset-like: the record's size plus a header, so positions
		// have gaps of varying width.
		s.next += uint64(64 + len(stream) + len(r.typ) + len(r.data) + len(r.meta))
		s.log = append(s.log, r)
		s.streams[stream] = append(s.streams[stream], r)
		s.ids[id] = r
		last = r
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return last
}

type features struct {
	serverfeatures.UnimplementedServerFeaturesServer
}

func (features) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: Version,
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: "event_store.client.streams.streams", MethodName: "read"},
			{ServiceName: "event_store.client.streams.streams", MethodName: "append"},
		},
	}, nil
}

type streams struct {
	api.UnimplementedStreamsServer
	s *Server
}

// Append implements the Streams service's client-streaming Append.
func (h *streams) Append(srv api.Streams_AppendServer) error {
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "append: options expected first")
	}
	var msgs []*api.AppendReq_ProposedMessage
	for {
		req, err := srv.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		m := req.GetProposedMessage()
		if m == nil {
			return status.Error(codes.InvalidArgument, "append: proposed message expected")
		}
		if _, err := protoID(m.GetId()); err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		msgs = append(msgs, m)
	}
	size := 0
	for _, m := range msgs {
		size += len(m.GetData()) + len(m.GetCustomMetadata()) + 2*len(m.GetMetadata()["type"])
	}
	if size > MaxAppendSize {
		return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", MaxAppendSize)
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	if h.s.isDeleted(stream) {
		return streamDeleted(stream, srv.SetTrailer)
	}
	return srv.SendAndClose(h.s.append(stream, opts, msgs))
}

func (s *Server) isDeleted(stream string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleted[stream]
}

// append decides an append as the server's CheckCommit does (see the
// package comment).
func (s *Server) append(stream string, opts *api.AppendReq_Options, msgs []*api.AppendReq_ProposedMessage) *api.AppendResp {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.streams[stream]
	cur := int64(len(recs)) - 1 // -1: no stream
	if m := s.meta[stream]; m.softDeleted {
		// Recreated by no_stream or any, numbering continuing.
		switch opts.GetExpectedStreamRevision().(type) {
		case *api.AppendReq_Options_NoStream, *api.AppendReq_Options_Any:
			m.softDeleted = false
			s.meta[stream] = m
			return s.appendNew(stream, msgs, cur)
		}
	}
	if len(msgs) == 0 {
		return s.appendNew(stream, msgs, cur)
	}
	ids := make([]uuid.UUID, len(msgs))
	for i, m := range msgs {
		ids[i], _ = protoID(m.GetId())
	}

	var expected int64
	switch o := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		expected = int64(o.Revision)
	case *api.AppendReq_Options_NoStream:
		expected = -1
	case *api.AppendReq_Options_StreamExists:
		if cur < 0 {
			return wrongVersion(cur, opts)
		}
		return s.appendByCache(stream, opts, msgs, ids, cur)
	default: // any
		return s.appendByCache(stream, opts, msgs, ids, cur)
	}
	switch {
	case expected < cur: // the ids after the expected revision decide
		n := expected
		for _, id := range ids {
			n++
			if n > cur || recs[n].id != id {
				return wrongVersion(cur, opts)
			}
		}
		return appended(recs[n], true) // the original write's result
	case expected > cur:
		return wrongVersion(cur, opts)
	default: // expected == current appends, even with known ids
		return s.appendNew(stream, msgs, cur)
	}
}

// appendByCache is any/stream_exists: ids all in the commit cache for this
// stream mean a retry (nothing written), some of them a conflict, none an
// append.
func (s *Server) appendByCache(stream string, opts *api.AppendReq_Options, msgs []*api.AppendReq_ProposedMessage, ids []uuid.UUID, cur int64) *api.AppendResp {
	var last *record
	for i, id := range ids {
		r, ok := s.ids[id]
		if !ok || r.stream != stream {
			if i == 0 {
				return s.appendNew(stream, msgs, cur)
			}
			return wrongVersion(cur, opts)
		}
		last = r
	}
	// The server's already-committed answer carries the original revision;
	// it is answered here without a position, the least the adapter can
	// rely on.
	return appended(last, false)
}

func (s *Server) appendNew(stream string, msgs []*api.AppendReq_ProposedMessage, cur int64) *api.AppendResp {
	if len(msgs) == 0 {
		if cur < 0 {
			return &api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
				CurrentRevisionOption: &api.AppendResp_Success_NoStream{NoStream: &shared.Empty{}},
				PositionOption:        &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}},
			}}}
		}
		return appended(s.streams[stream][cur], false)
	}
	return appended(s.write(stream, msgs), true)
}

// appended is a success answer naming r as the last event written.
func appended(r *record, withPosition bool) *api.AppendResp {
	ok := &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: r.revision},
		PositionOption:        &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}},
	}
	if withPosition {
		ok.PositionOption = &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{CommitPosition: r.pos, PreparePosition: r.pos}}
	}
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: ok}}
}

func wrongVersion(cur int64, opts *api.AppendReq_Options) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	if cur < 0 {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(cur)}
	}
	switch o := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: o.Revision}
	case *api.AppendReq_Options_NoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case *api.AppendReq_Options_StreamExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}
