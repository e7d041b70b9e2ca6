package domain

import (
	"slices"
	"strings"
)

// Body is the decided state of a body (实施主体) that can receive delegations.
type Body struct {
	Code       string
	Registered bool
	Name       string
	Kind       BodyKind
	Parent     string
}

// EvolveBody folds one event into a body's state.
func EvolveBody(s Body, e Event) Body {
	if e, ok := e.(BodyRegistered); ok {
		s = Body{Code: e.Code, Registered: true, Name: e.Name, Kind: e.Kind, Parent: e.Parent}
	}
	return s
}

// RegisterBody makes a district, zone or township (or a city or province at
// the top of a chain) known, under the body whose code is Parent ("" for a
// body at the top of a chain).
type RegisterBody struct {
	Code   string
	Name   string
	Kind   BodyKind
	Parent string
	Change
}

// DecideRegisterBody decides a registration: codes are unique, the parent
// must be registered and of a kind that can hold the new body (a township
// belongs to a district; a district to a city). parent is the state of the
// body c.Parent names, looked up by the caller (ignored when c.Parent is
// empty): the rule reads no store.
func DecideRegisterBody(s Body, parent Body, c RegisterBody) ([]Event, error) {
	if err := requireText("code", c.Code, 32); err != nil {
		return nil, err
	}
	if strings.ContainsAny(c.Code, " \t\r\n") {
		return nil, Errorf(CodeInvalid, "code", "must not contain spaces")
	}
	if err := requireText("name", c.Name, maxShortText); err != nil {
		return nil, err
	}
	if !c.Kind.Valid() {
		return nil, Errorf(CodeInvalid, "kind", "%q is not a body kind (PROVINCE, CITY, DISTRICT, ZONE, TOWNSHIP)", c.Kind)
	}
	if err := c.Change.validate(); err != nil {
		return nil, err
	}
	if s.Registered {
		return nil, Errorf(CodeBodyExists, "code", "body %s (%s) is already registered", s.Code, s.Name)
	}
	allowed := parentKinds[c.Kind]
	switch {
	case c.Parent == "" && len(allowed) > 0:
		return nil, Errorf(CodeBodyHierarchy, "parent", "a %s needs a parent (%s)", c.Kind, kindList(allowed))
	case c.Parent != "" && (!parent.Registered || parent.Code != c.Parent):
		return nil, Errorf(CodeBodyNotFound, "parent", "parent body %s is not registered", c.Parent)
	case c.Parent != "" && !slices.Contains(allowed, parent.Kind):
		return nil, Errorf(CodeBodyHierarchy, "parent", "a %s cannot belong to %s, a %s", c.Kind, c.Parent, parent.Kind)
	}
	return []Event{BodyRegistered{Code: c.Code, Name: c.Name, Kind: c.Kind, Parent: c.Parent, Change: c.Change}}, nil
}

func kindList(ks []BodyKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " or ")
}

// Edition is the decided state of an edition's stream.
type Edition struct {
	Name      string
	Published bool
}

// EvolveEdition folds one event into an edition's state.
func EvolveEdition(s Edition, e Event) Edition {
	if e, ok := e.(EditionPublished); ok {
		s = Edition{Name: e.Name, Published: true}
	}
	return s
}

// PublishEdition publishes a named edition (e.g. 2023年版).
type PublishEdition struct {
	Name string
	Change
}

// DecidePublishEdition decides a publication: an edition is published once
// and never changes; a new edition gets a new name.
func DecidePublishEdition(s Edition, c PublishEdition) ([]Event, error) {
	if err := requireText("name", c.Name, 64); err != nil {
		return nil, err
	}
	if err := c.Change.validate(); err != nil {
		return nil, err
	}
	if s.Published {
		return nil, Errorf(CodeEditionExists, "name", "edition %s is already published and can never change; publish a new edition instead", s.Name)
	}
	return []Event{EditionPublished{Name: c.Name, Change: c.Change}}, nil
}

// ItemStream, BodyStream, EditionStream and ItemCodeStream name the stream
// of one aggregate (registry.go lists the kinds).
func ItemStream(id string) string       { return ItemStreams.Stream(id) }
func BodyStream(code string) string     { return BodyStreams.Stream(code) }
func EditionStream(name string) string  { return EditionStreams.Stream(name) }
func ItemCodeStream(code string) string { return ItemCodeStreams.Stream(code) }
