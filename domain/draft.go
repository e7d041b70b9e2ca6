package domain

// A draft (草案) is the next version of the catalogue in preparation: the
// reform office (审改办) or the justice bureau opens it, stages the
// departments' revisions into it, has it reviewed as a diff and publishes
// it on one document with one effective date — or discards it. Its stream,
// draft-<name>, records its life; a draft's name is unique for ever, like
// an edition's, so a document that cites a draft cites one thing.

// DraftStreams hold drafts, one stream each: draft-<name>.
var DraftStreams = StreamKind{Name: "draft", Prefix: "draft-"}

// DraftStream names a draft's stream.
func DraftStream(name string) string { return DraftStreams.Stream(name) }

// Events of a draft's stream.
const (
	TypeDraftOpened    = "DraftOpened.v1"
	TypeDraftDiscarded = "DraftDiscarded.v1"
)

// DraftOpened (草案): a draft of the catalogue's next version is opened.
type DraftOpened struct {
	Name   string `json:"name"`
	Reason string `json:"reason,omitempty"`
}

// DraftDiscarded: a draft is abandoned; nothing staged in it is published.
type DraftDiscarded struct {
	Name   string `json:"name"`
	Reason string `json:"reason,omitempty"`
}

func (DraftOpened) EventType() string    { return TypeDraftOpened }
func (DraftDiscarded) EventType() string { return TypeDraftDiscarded }

var _ = registerEvents(
	register[DraftOpened](DraftStreams),
	register[DraftDiscarded](DraftStreams),
)

// Draft is the decided state of a draft's stream.
type Draft struct {
	Name      string
	Opened    bool
	Discarded bool
}

// EvolveDraft folds one event into a draft's state.
func EvolveDraft(s Draft, e Event) Draft {
	switch e := e.(type) {
	case DraftOpened:
		s = Draft{Name: e.Name, Opened: true}
	case DraftDiscarded:
		s.Discarded = true
	}
	return s
}

// OpenDraft opens a draft of the next version, named as officers name it
// (e.g. 2025年版（草案）), with why it is opened.
type OpenDraft struct {
	Name   string
	Reason string
}

// DiscardDraft abandons a draft: nothing staged in it is ever published,
// and its name stays taken.
type DiscardDraft struct {
	Name   string
	Reason string
}

// DecideOpenDraft decides the opening of a draft: a name is used once.
func DecideOpenDraft(s Draft, c OpenDraft) ([]Event, error) {
	if err := requireText("name", c.Name, 64); err != nil {
		return nil, err
	}
	if err := optionalText("reason", c.Reason, maxLongText); err != nil {
		return nil, err
	}
	if s.Opened {
		return nil, Errorf(CodeDraftExists, "name", "a draft named %s was already opened; choose another name", s.Name)
	}
	return []Event{DraftOpened{Name: c.Name, Reason: c.Reason}}, nil
}

// DecideDiscardDraft decides a draft's discarding: only an open draft can
// be discarded.
func DecideDiscardDraft(s Draft, c DiscardDraft) ([]Event, error) {
	if err := optionalText("reason", c.Reason, maxLongText); err != nil {
		return nil, err
	}
	if err := s.open(c.Name); err != nil {
		return nil, err
	}
	return []Event{DraftDiscarded{Name: s.Name, Reason: c.Reason}}, nil
}

// open refuses a command on a draft that is not open.
func (s Draft) open(name string) error {
	switch {
	case !s.Opened:
		return Errorf(CodeDraftNotFound, "name", "no draft named %s is open", name)
	case s.Discarded:
		return Errorf(CodeDraftClosed, "name", "draft %s was discarded", s.Name)
	}
	return nil
}
