package ledger_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
)

// clock is a settable clock for the ledger.
type clock struct{ now time.Time }

func (c *clock) get() time.Time { return c.now }

func faulty(t *testing.T) (*faultyStore, *clock, *ledger.Ledger) {
	s := &faultyStore{Store: memory.New()}
	t.Cleanup(func() { s.Close() })
	c := &clock{now: time.Now()}
	return s, c, ledger.New(s, ledger.WithClock(c.get))
}

func lastPosition(t *testing.T, s eventstore.Store) eventstore.Position {
	p, err := s.LastPosition(ctx)
	require.NoError(t, err)
	return p
}

func streamOf(t *testing.T, s eventstore.Store, name string) []eventstore.RecordedEvent {
	evs, err := s.ReadStream(ctx, name, 0)
	require.NoError(t, err)
	return evs
}

// A client that goes away once the listing has begun to write does not
// leave it half done: the command finishes, the item is listed.
func TestAbandonedListingCompletes(t *testing.T) {
	for _, kind := range []fault{cancelBefore, cancelAfter} {
		t.Run(kind.String(), func(t *testing.T) {
			s, _, l := faulty(t)
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			s.arm(1, kind, cancel) // at the reservation's append
			res, err := l.ListItem(cctx, req("c1"), listing("A1", "甲事项"))
			require.NoError(t, err)
			require.Error(t, cctx.Err(), "the client went away")
			evs := streamOf(t, s, domain.ItemStream(res.ID))
			require.Len(t, evs, 1)
			require.Equal(t, domain.TypeItemListed, evs[0].Type)
		})
	}
}

// A listing cut short after its reservation (the process died) is
// completed by the next command that meets the reservation — however late
// — and never lets another item take the code; the original command's
// retry then records nothing.
func TestOrphanedReservationIsCompletedNotExpired(t *testing.T) {
	s, c, l := faulty(t)
	s.arm(1, crashAfter, nil)
	_, err := l.ListItem(ctx, ledger.Request{CommandID: "c1", By: domain.Actor{Name: "officer:李四", Role: domain.RoleLegalOfficer}, CorrelationID: "corr-1"}, listing("A1", "甲事项"))
	require.ErrorIs(t, err, errCrash)
	s.arm(0, noFault, nil)
	itemID := ledger.DerivedID("c1", "item")
	require.Empty(t, streamOf(t, s, domain.ItemStream(itemID)), "the item was not listed")
	reservation := streamOf(t, s, domain.ItemCodeStream("A1"))[0]

	c.now = c.now.Add(time.Hour)
	l = ledger.New(s, ledger.WithClock(c.get)) // after a restart
	_, err = l.ListItem(ctx, req("c2"), listing("A1", "乙事项"))
	require.Equal(t, domain.CodeCodeTaken, domain.ErrorCode(err), "%v", err)
	require.Len(t, streamOf(t, s, domain.ItemCodeStream("A1")), 1, "the refused listing reserved nothing")

	// The item is listed as the original command decided it, with its
	// event id and metadata.
	evs := streamOf(t, s, domain.ItemStream(itemID))
	require.Len(t, evs, 1)
	require.Equal(t, eventstore.EventID("c1", domain.ItemStream(itemID), 0), evs[0].ID)
	require.JSONEq(t, string(reservation.Metadata), string(evs[0].Metadata))
	var meta eventstore.Metadata
	require.NoError(t, json.Unmarshal(evs[0].Metadata, &meta))
	require.Equal(t, "officer:李四", meta.Actor)
	require.Equal(t, "corr-1", meta.CorrelationID)
	e, err := domain.Decode(evs[0].Type, evs[0].Data)
	require.NoError(t, err)
	require.Equal(t, "甲事项", e.(domain.ItemListed).Name)

	before := lastPosition(t, s)
	res, err := l.ListItem(ctx, ledger.Request{CommandID: "c1", By: domain.Actor{Name: "officer:李四", Role: domain.RoleLegalOfficer}}, listing("A1", "甲事项"))
	require.NoError(t, err)
	require.True(t, res.Replayed)
	require.Equal(t, itemID, res.ID)
	require.Equal(t, evs[0].Position, res.Position)
	require.Equal(t, before, lastPosition(t, s), "the retry recorded nothing")
}

// The original command's retry completes its own orphaned listing.
func TestRetryCompletesItsOwnReservation(t *testing.T) {
	for _, kind := range []fault{crashBefore, crashAfter} {
		t.Run(kind.String(), func(t *testing.T) {
			s, _, l := faulty(t)
			s.arm(2, kind, nil) // at the listing's append
			_, err := l.ListItem(ctx, req("c1"), listing("A1", "甲事项"))
			require.ErrorIs(t, err, errCrash)
			s.arm(0, noFault, nil)
			res, err := l.ListItem(ctx, req("c1"), listing("A1", "甲事项"))
			require.NoError(t, err)
			require.Equal(t, kind == crashAfter, res.Replayed, "replayed only if the listing had reached the log")
			require.Len(t, streamOf(t, s, domain.ItemStream(res.ID)), 1)
			require.Len(t, streamOf(t, s, domain.ItemCodeStream("A1")), 1)
		})
	}
}

// reserveV1 appends a reservation as it was written before reservations
// carried their listing.
func reserveV1(t *testing.T, s eventstore.Store, commandID, code string) {
	itemID := ledger.DerivedID(commandID, "item")
	data, err := json.Marshal(map[string]string{"code": code, "itemId": itemID})
	require.NoError(t, err)
	meta, err := json.Marshal(eventstore.Metadata{Actor: "officer:张三", CommandID: commandID, RecordedAt: time.Now().UTC()})
	require.NoError(t, err)
	name := domain.ItemCodeStream(code)
	_, err = s.Append(ctx, name, eventstore.Any(), []eventstore.EventData{{ID: eventstore.EventID(commandID, name, 0),
		Type: domain.TypeItemCodeReservedV1, Data: data, Metadata: meta}})
	require.NoError(t, err)
}

// An orphaned reservation of version 1 keeps its rule — it holds the code
// for a minute, its command's retry completes it until someone else
// reserves the code — and once another item holds the code, the retry is
// refused rather than listing a second item with it.
func TestOldReservationsKeepTheirRule(t *testing.T) {
	s, c, l := faulty(t)
	reserveV1(t, s, "old", "A1")
	_, err := l.ListItem(ctx, req("c2"), listing("A1", "乙事项"))
	require.Equal(t, domain.CodeCodeTaken, domain.ErrorCode(err), "a fresh reservation holds the code")

	c.now = c.now.Add(2 * time.Minute)
	taken, err := l.ListItem(ctx, req("c2"), listing("A1", "乙事项"))
	require.NoError(t, err, "a lapsed reservation frees the code")
	before := lastPosition(t, s)
	_, err = l.ListItem(ctx, req("old"), listing("A1", "甲事项"))
	require.Equal(t, domain.CodeCodeTaken, domain.ErrorCode(err), "%v", err)
	require.Equal(t, before, lastPosition(t, s), "the refused retry recorded nothing")
	require.Empty(t, streamOf(t, s, domain.ItemStream(ledger.DerivedID("old", "item"))))

	// Still the reservation's holder, however late: the retry completes it.
	reserveV1(t, s, "old2", "B2")
	c.now = c.now.Add(time.Hour)
	res, err := l.ListItem(ctx, req("old2"), listing("B2", "丙事项"))
	require.NoError(t, err)
	require.NotEqual(t, taken.ID, res.ID)
	require.Len(t, streamOf(t, s, domain.ItemStream(res.ID)), 1)
}
