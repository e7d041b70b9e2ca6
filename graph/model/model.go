// Package model holds the Go side of the GraphQL schema's types that are not
// the read side's own views: custom scalars, connections, inputs and
// payloads (models_gen.go, generated), and thin wrappers that carry the date
// and log position a view was read at, so that nested fields (a body's
// delegated items, a delegation's item) read on the same axes as their
// parent without the client repeating them.
package model

import (
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// Item is an item view with the axes it was read at.
type Item struct {
	projections.Item
	At projections.Axes
}

// Body is a body view with the axes it was read at.
type Body struct {
	projections.Body
	At projections.Axes
}

// Delegation is a delegation view with the axes it was read at.
type Delegation struct {
	projections.Delegation
	At projections.Axes
}

// BodyPayload is what registerBody wrote; Code finds the body, which is
// read only if the client asks for it.
type BodyPayload struct {
	Code     string
	Revision uint64
	Position eventstore.Position
}

// EditionPayload is what publishEdition wrote; Name finds the edition.
type EditionPayload struct {
	Name     string
	Revision uint64
	Position eventstore.Position
}

// DraftPayload is what openDraft or discardDraft wrote; Name finds the
// draft.
type DraftPayload struct {
	Name     string
	Revision uint64
	Position eventstore.Position
}

// Items wraps item views read at the same axes.
func Items(items []projections.Item, at projections.Axes) []Item {
	out := make([]Item, len(items))
	for i := range items {
		out[i] = Item{Item: items[i], At: at}
	}
	return out
}

// Delegations wraps delegation views read at the same axes.
func Delegations(ds []projections.Delegation, at projections.Axes) []Delegation {
	out := make([]Delegation, len(ds))
	for i := range ds {
		out[i] = Delegation{Delegation: ds[i], At: at}
	}
	return out
}

// Bodies wraps body views read at the same axes.
func Bodies(bs []projections.Body, at projections.Axes) []Body {
	out := make([]Body, len(bs))
	for i := range bs {
		out[i] = Body{Body: bs[i], At: at}
	}
	return out
}

// From is the delegating body, null for the catalogue's own government.
// (A method, not a resolver, so that a page of delegations is marshalled
// without a goroutine per field.)
func (d *Delegation) From() *string { return nonEmpty(d.Delegation.From) }

// ParentID is the delegation From holds the power under, if any.
func (d *Delegation) ParentID() *string { return nonEmpty(d.Delegation.ParentID) }

// Parent is the parent body's code, null at the top of a chain.
func (b *Body) Parent() *string { return nonEmpty(b.Body.Parent) }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
