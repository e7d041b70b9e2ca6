package graph_test

import (
	"testing"
)

const (
	openDraft = `mutation($input: OpenDraftInput!) {
  openDraft(input: $input) { revision position draft { name reason status openedBy openedAt openedPosition discardedBy discardedAt discardReason discardedPosition } }
}`
	discardDraft = `mutation($input: DiscardDraftInput!) {
  discardDraft(input: $input) { revision position draft { name status openedPosition discardedBy discardedAt discardReason discardedPosition } }
}`
	draftsQuery = `query($status: DraftStatus, $asOf: Position) { drafts(status: $status, asOf: $asOf) { name status discardedBy } }`
	draftQuery  = `query($name: String!, $asOf: Position) { draft(name: $name, asOf: $asOf) { name reason status openedBy } }`
)

// draftInput is a draft command's variables, with a fresh command id.
func draftInput(name, reason string) map[string]any {
	in := map[string]any{"commandId": cmd(), "name": name}
	if reason != "" {
		in["reason"] = reason
	}
	return map[string]any{"input": in}
}

// TestDrafts opens a draft, refuses a second one of the same name,
// discards it, refuses to discard it again, and reads drafts on both time
// axes: legal officers open and discard them, every signed-in role reads
// them, anonymous callers do not.
func TestDrafts(t *testing.T) {
	e := newEnv(t)
	const name, reason = "2025年版（草案）", "按照“放管服”改革要求修订清单"

	open := e.ok(legal, openDraft, draftInput(name, reason))
	if open.str("openDraft.draft.name") != name || open.str("openDraft.draft.reason") != reason ||
		open.str("openDraft.draft.status") != "OPEN" || open.str("openDraft.draft.openedBy") != "法制科·张三" ||
		open.str("openDraft.draft.openedAt") == "" || open.str("openDraft.draft.openedPosition") != open.str("openDraft.position") ||
		open.get("openDraft.draft.discardedBy") != nil || open.get("openDraft.draft.discardedAt") != nil ||
		open.get("openDraft.draft.discardReason") != nil || open.get("openDraft.draft.discardedPosition") != nil ||
		open.get("openDraft.revision").(float64) != 0 {
		t.Errorf("openDraft: %v", open.Data)
	}
	openedAt := open.str("openDraft.position")

	e.fails(legal, openDraft, draftInput(name, ""), "CONFLICT", "DRAFT_EXISTS")
	e.fails(shinan, openDraft, draftInput("2026年版（草案）", ""), "FORBIDDEN", "")
	e.fails(auditor, openDraft, draftInput("2026年版（草案）", ""), "FORBIDDEN", "")
	e.fails(anon, openDraft, draftInput("2026年版（草案）", ""), "UNAUTHENTICATED", "")
	e.fails(legal, openDraft, draftInput("", ""), "BAD_USER_INPUT", "")
	e.fails(legal, discardDraft, draftInput("1999年版（草案）", ""), "NOT_FOUND", "DRAFT_NOT_FOUND")
	e.fails(shinan, discardDraft, draftInput(name, ""), "FORBIDDEN", "")

	gone := e.ok(legal, discardDraft, draftInput(name, "并入2026年版"))
	if gone.str("discardDraft.draft.status") != "DISCARDED" || gone.str("discardDraft.draft.discardedBy") != "法制科·张三" ||
		gone.str("discardDraft.draft.discardReason") != "并入2026年版" || gone.str("discardDraft.draft.discardedAt") == "" ||
		gone.str("discardDraft.draft.discardedPosition") != gone.str("discardDraft.position") ||
		gone.str("discardDraft.draft.openedPosition") != openedAt || gone.get("discardDraft.revision").(float64) != 1 {
		t.Errorf("discardDraft: %v", gone.Data)
	}
	e.fails(legal, discardDraft, draftInput(name, ""), "CONFLICT", "DRAFT_CLOSED")
	e.fails(legal, openDraft, draftInput(name, ""), "CONFLICT", "DRAFT_EXISTS") // a name is used once, for ever

	next := e.ok(legal, openDraft, draftInput("2026年版（草案）", ""))
	if next.get("openDraft.draft.reason") != nil {
		t.Errorf("a draft opened without a reason has a null reason: %v", next.Data)
	}
	wait := map[string]any{"waitFor": next.str("openDraft.position")}
	e.ok(legal, `query($waitFor: Position) { drafts(waitFor: $waitFor) { name } }`, wait)

	for _, user := range []string{legal, auditor, shinan} {
		all := e.ok(user, draftsQuery, nil)
		if l := all.list("drafts"); len(l) != 2 || all.str("drafts.0.name") != name || all.str("drafts.0.status") != "DISCARDED" ||
			all.str("drafts.1.name") != "2026年版（草案）" || all.str("drafts.1.status") != "OPEN" {
			t.Errorf("drafts as %s: %v", user, all.Data)
		}
	}
	if o := e.ok(auditor, draftsQuery, map[string]any{"status": "OPEN"}); len(o.list("drafts")) != 1 || o.str("drafts.0.name") != "2026年版（草案）" {
		t.Errorf("open drafts: %v", o.Data)
	}
	if d := e.ok(auditor, draftsQuery, map[string]any{"status": "DISCARDED"}); len(d.list("drafts")) != 1 || d.str("drafts.0.name") != name {
		t.Errorf("discarded drafts: %v", d.Data)
	}
	// As of its opening the draft was open; before it, unknown.
	then := e.ok(auditor, draftsQuery, map[string]any{"asOf": openedAt})
	if len(then.list("drafts")) != 1 || then.str("drafts.0.status") != "OPEN" || then.get("drafts.0.discardedBy") != nil {
		t.Errorf("drafts as of the opening: %v", then.Data)
	}
	one := e.ok(shinan, draftQuery, map[string]any{"name": name, "asOf": openedAt})
	if one.str("draft.name") != name || one.str("draft.reason") != reason || one.str("draft.status") != "OPEN" || one.str("draft.openedBy") != "法制科·张三" {
		t.Errorf("draft as of the opening: %v", one.Data)
	}
	before := e.fails(auditor, `query($name: String!, $asOf: Position) { draft(name: $name, asOf: $asOf) { name } }`,
		map[string]any{"name": "2026年版（草案）", "asOf": openedAt}, "NOT_FOUND", "DRAFT_NOT_FOUND")
	if before.Message == "" {
		t.Error("a refusal explains itself")
	}

	e.fails(anon, draftsQuery, nil, "UNAUTHENTICATED", "")
	e.fails(anon, draftQuery, map[string]any{"name": name}, "UNAUTHENTICATED", "")
	e.fails(auditor, `{ drafts(status: CLOSED) { name } }`, nil, "BAD_USER_INPUT", "")

	// The audit log records drafts, and filters them by type.
	log := e.ok(auditor, `{ events(filter: {types: ["DraftOpened.v1", "DraftDiscarded.v1"]}) { nodes { type stream actor } } }`, nil)
	if nodes := log.list("events.nodes"); len(nodes) != 3 || log.str("events.nodes.1.type") != "DraftDiscarded.v1" ||
		log.str("events.nodes.0.stream") != "draft-"+name {
		t.Errorf("draft events: %v", log.Data)
	}
}
