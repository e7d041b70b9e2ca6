package esdbtest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// Read implements the Streams service's server-streaming Read: stream and
// $all reads, and subscriptions to $all.
func (h *streams) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil || o.GetUuidOption() == nil {
		return status.Error(codes.InvalidArgument, "read: options and uuid_option are required")
	}
	f, err := newFilter(o)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	out := sender{srv: srv, stringIDs: o.GetUuidOption().GetString_() != nil}
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	switch {
	case o.GetSubscription() != nil:
		all := o.GetAll()
		if all == nil {
			return status.Error(codes.Unimplemented, "esdbtest: only subscriptions to $all")
		}
		return h.s.subscribe(srv.Context(), all, f, out)
	case o.GetStream() != nil:
		if name := string(o.GetStream().GetStreamIdentifier().GetStreamName()); h.s.isDeleted(name) {
			return streamDeleted(name, srv.SetTrailer)
		}
		return h.s.readStream(o.GetStream(), backwards, o.GetCount(), out)
	case o.GetAll() != nil:
		if err := h.s.failRead(); err != nil {
			return err
		}
		return h.s.readAll(o.GetAll(), backwards, o.GetCount(), f, out)
	}
	return status.Error(codes.InvalidArgument, "read: no stream option")
}

func (s *Server) readStream(o *api.ReadReq_Options_StreamOptions, backwards bool, count uint64, out sender) error {
	name := string(o.GetStreamIdentifier().GetStreamName())
	s.mu.Lock()
	all, m := s.streams[name], s.meta[name]
	s.mu.Unlock()
	recs := m.visible(all)
	if len(all) == 0 || m.softDeleted {
		return out.srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)},
		}}})
	}
	// recs holds revisions first … last; reading from before first
	// starts at first, as on a truncated stream of a real node.
	var page []*record
	first, last := uint64(len(all)-len(recs)), uint64(len(all)-1)
	from := o.GetRevision() // 0 for Start
	if !backwards {         // inclusive
		if o.GetEnd() != nil {
			from = last + 1
		}
		for from = max(from, first); from <= last && uint64(len(page)) < count; from++ {
			page = append(page, all[from])
		}
	} else { // inclusive too
		if o.GetEnd() != nil {
			from = last
		}
		for i := int64(min(from, last)); i >= int64(first) && uint64(len(page)) < count; i-- {
			page = append(page, all[i])
		}
	}
	for _, r := range page {
		if err := out.event(r); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) readAll(o *api.ReadReq_Options_AllOptions, backwards bool, count uint64, f *filter, out sender) error {
	s.mu.Lock()
	log := s.log
	s.mu.Unlock()
	var page []*record
	if !backwards { // inclusive
		i := 0
		if p := o.GetPosition(); p != nil {
			i = firstAtOrAfter(log, p.GetCommitPosition())
		} else if o.GetEnd() != nil {
			i = len(log)
		}
		for ; i < len(log) && uint64(len(page)) < count; i++ {
			if f.match(log[i]) {
				page = append(page, log[i])
			}
		}
	} else { // exclusive
		i := len(log) - 1
		if p := o.GetPosition(); p != nil {
			i = firstAtOrAfter(log, p.GetCommitPosition()) - 1
		} else if o.GetStart() != nil {
			i = -1
		}
		for ; i >= 0 && uint64(len(page)) < count; i-- {
			if f.match(log[i]) {
				page = append(page, log[i])
			}
		}
	}
	for _, r := range page {
		if err := out.event(r); err != nil {
			return err
		}
	}
	return nil
}

// firstAtOrAfter is the index of the first record at or after pos.
func firstAtOrAfter(log []*record, pos uint64) int {
	lo, hi := 0, len(log)
	for lo < hi {
		m := (lo + hi) / 2
		if log[m].pos < pos {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// subscribe serves a subscription to $all: confirmation, catch-up with
// checkpoints, one checkpoint and CaughtUp, then live events.
func (s *Server) subscribe(ctx context.Context, o *api.ReadReq_Options_AllOptions, f *filter, out sender) error {
	if err := out.srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString(),
	}}}); err != nil {
		return err
	}
	s.mu.Lock()
	s.subs++
	next := 0 // index of the next record to scan; from is exclusive
	switch {
	case o.GetEnd() != nil:
		next = len(s.log)
	case o.GetPosition() != nil:
		next = firstAtOrAfter(s.log, o.GetPosition().GetCommitPosition()+1)
	}
	next = max(next-s.rewind, 0)
	drop := s.drop
	s.mu.Unlock()

	scanned, matched := 0, 0
	caughtUp := false
	for {
		s.mu.Lock()
		batch := s.log[next:]
		changed := s.changed
		s.mu.Unlock()
		for _, r := range batch {
			next++
			scanned++
			if f.match(r) {
				matched++
				if err := out.event(r); err != nil {
					return err
				}
			}
			if f.filtered && scanned%f.checkpointEvery == 0 {
				if err := out.checkpoint(r.pos); err != nil {
					return err
				}
			}
		}
		if !caughtUp {
			caughtUp = true
			if f.filtered {
				// 24.10 sends (2^64−1, 2^64−1) when nothing has matched.
				pos := uint64(math.MaxUint64)
				if matched > 0 {
					pos = batch[len(batch)-1].pos
				}
				if err := out.checkpoint(pos); err != nil {
					return err
				}
			}
			if err := out.srv.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-changed:
		case <-drop.ch:
			if drop.trailer != nil {
				out.srv.SetTrailer(drop.trailer)
			}
			return drop.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// filter is a read's or subscription's server-side filter.
type filter struct {
	filtered        bool
	onType          bool
	prefixes        []string
	re              *regexp.Regexp
	checkpointEvery int
}

func newFilter(o *api.ReadReq_Options) (*filter, error) {
	fo := o.GetFilter()
	if fo == nil {
		return &filter{}, nil
	}
	f := &filter{filtered: true}
	expr := fo.GetStreamIdentifier()
	if expr == nil {
		expr, f.onType = fo.GetEventType(), true
	}
	if expr == nil {
		return nil, fmt.Errorf("filter: no expression")
	}
	f.prefixes = expr.GetPrefix()
	if r := expr.GetRegex(); r != "" {
		re, err := regexp.Compile(r)
		if err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
		f.re = re
	}
	window := 32
	if m := fo.GetMax(); m > 0 {
		window = int(m)
	}
	f.checkpointEvery = window * int(max(fo.GetCheckpointIntervalMultiplier(), 1))
	return f, nil
}

func (f *filter) match(r *record) bool {
	if !f.filtered {
		return true
	}
	subject := r.stream
	if f.onType {
		subject = r.typ
	}
	if f.re != nil {
		return f.re.MatchString(subject)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

// sender writes read responses in the client's expected shape.
type sender struct {
	srv       api.Streams_ReadServer
	stringIDs bool
}

func (o sender) event(r *record) error {
	id := structuredID(r.id)
	if o.stringIDs {
		id = &shared.UUID{Value: &shared.UUID_String_{String_: r.id.String()}}
	}
	return o.srv.Send(&api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               id,
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.pos,
			CommitPosition:   r.pos,
			Metadata: map[string]string{
				"type":         r.typ,
				"content-type": r.contentType,
				"created":      strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.pos},
	}}})
}

func (o sender) checkpoint(pos uint64) error {
	return o.srv.Send(&api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
		CommitPosition: pos, PreparePosition: pos,
	}}})
}

func structuredID(id uuid.UUID) *shared.UUID {
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

func protoID(u *shared.UUID) (uuid.UUID, error) {
	if st := u.GetStructured(); st != nil {
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[:8], uint64(st.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(id[8:], uint64(st.GetLeastSignificantBits()))
		return id, nil
	}
	if str := u.GetString_(); str != "" {
		return uuid.Parse(str)
	}
	return uuid.UUID{}, fmt.Errorf("event id missing")
}
