package ledger

import (
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// The catalogue's aggregates, as the command loop sees them: where each
// lives and how its state folds. The folds are the domain's; only the code
// reservations need the events' records (see codeState).

func itemAggregate(id string) Aggregate[domain.Item] {
	return Aggregate[domain.Item]{ID: id, Stream: domain.ItemStream(id), Evolve: domain.EvolveItem}
}

func bodyAggregate(code string) Aggregate[domain.Body] {
	return Aggregate[domain.Body]{ID: code, Stream: domain.BodyStream(code), Zero: domain.Body{Code: code}, Evolve: domain.EvolveBody}
}

func editionAggregate(name string) Aggregate[domain.Edition] {
	return Aggregate[domain.Edition]{ID: name, Stream: domain.EditionStream(name), Evolve: domain.EvolveEdition}
}

// codeState is what a listing needs of its code's reservation stream: the
// stream's last event if it is a reservation, with its record (who may
// hold the code depends on when it was reserved, and completing a listing
// repeats the reservation's metadata).
type codeState struct {
	last *domain.ItemCodeReserved
	rec  *eventstore.RecordedEvent
}

func codeAggregate(code string) Aggregate[codeState] {
	return Aggregate[codeState]{ID: code, Stream: domain.ItemCodeStream(code), Evolve: evolveCode, Record: recordCode}
}

func evolveCode(_ codeState, e domain.Event) codeState {
	if r, ok := e.(domain.ItemCodeReserved); ok {
		return codeState{last: &r}
	}
	return codeState{}
}

// recordCode keeps the record of the event just folded if it is the
// reservation.
func recordCode(st codeState, rec *eventstore.RecordedEvent) codeState {
	if st.last != nil && st.rec == nil {
		st.rec = rec
	}
	return st
}

func draftAggregate(name string) Aggregate[domain.Draft] {
	return Aggregate[domain.Draft]{ID: name, Stream: domain.DraftStream(name), Evolve: domain.EvolveDraft}
}
