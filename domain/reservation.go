package domain

import "time"

// StaleReservation is how long a code reservation of version 1 (which does
// not carry its listing) whose item was never listed keeps the code from
// others. Reservations written now carry their listing and never lapse:
// whoever finds one unfinished completes it.
const StaleReservation = time.Minute

// ReservationHolds tells whether reservation r, recorded age ago, holds its
// code, given the state of the item it names: that item is listed with
// the code and not revoked, or will be (the reservation carries the
// listing), or — a reservation of version 1 — it is younger than
// StaleReservation. The caller measures age on its clock: the rule itself
// reads none.
func ReservationHolds(r ItemCodeReserved, it Item, age time.Duration) bool {
	switch {
	case it.Listed:
		// Revoked frees the code; listed with another code (its command
		// id was reused for another listing) never held it.
		return !it.Revoked && it.Code == r.Code
	case r.Listing != nil:
		return true // to be completed by whoever writes next
	default:
		return age < StaleReservation
	}
}
