package domain_test

import (
	"testing"
	"time"

	. "github.com/catalogue/catalogue/domain"
)

// TestReservationHolds: who holds an item code, decided from the
// reservation, the state of the item it names and the reservation's age,
// which the caller measures: the rule reads no clock.
func TestReservationHolds(t *testing.T) {
	v1 := ItemCodeReserved{Code: listed.Code, ItemID: "i1"}
	withListing := ItemCodeReserved{Code: listed.Code, ItemID: "i1", Listing: &listed}
	var never Item
	for _, tc := range []struct {
		name  string
		r     ItemCodeReserved
		given []Event
		age   time.Duration
		holds bool
	}{
		{"a listed item holds its code", v1, []Event{listed}, time.Hour, true},
		{"a revoked item frees it", v1, []Event{listed, revoked}, 0, false},
		{"an item listed with another code never held it", ItemCodeReserved{Code: "OTHER", ItemID: "i1"}, []Event{listed}, 0, false},
		{"a reservation carrying its listing holds until completed, however old", withListing, nil, 24 * time.Hour, true},
		{"a version-1 reservation holds while young", v1, nil, StaleReservation - time.Second, true},
		{"a version-1 reservation lapses", v1, nil, StaleReservation, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := never
			for _, e := range tc.given {
				it = EvolveItem(it, e)
			}
			if got := ReservationHolds(tc.r, it, tc.age); got != tc.holds {
				t.Fatalf("holds = %v, want %v", got, tc.holds)
			}
		})
	}
}
