package domain_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/catalogue/catalogue/domain"
)

func TestDrafts(t *testing.T) {
	opened := DraftOpened{Name: "2025年版（草案）", Reason: "年度动态调整"}
	cases := []struct {
		name   string
		given  []Event
		decide func(Draft) ([]Event, error)
		then   []Event
		err    Code
	}{
		{name: "opens a draft", decide: func(s Draft) ([]Event, error) {
			return DecideOpenDraft(s, OpenDraft{Name: "2025年版（草案）", Reason: "年度动态调整"})
		}, then: []Event{opened}},
		{name: "a name is used once", given: []Event{opened}, decide: func(s Draft) ([]Event, error) {
			return DecideOpenDraft(s, OpenDraft{Name: "2025年版（草案）"})
		}, err: CodeDraftExists},
		{name: "a discarded draft's name stays taken", given: []Event{opened, DraftDiscarded{Name: opened.Name}}, decide: func(s Draft) ([]Event, error) {
			return DecideOpenDraft(s, OpenDraft{Name: "2025年版（草案）"})
		}, err: CodeDraftExists},
		{name: "a name is required", decide: func(s Draft) ([]Event, error) { return DecideOpenDraft(s, OpenDraft{Name: " "}) }, err: CodeInvalid},
		{name: "a name is short", decide: func(s Draft) ([]Event, error) {
			return DecideOpenDraft(s, OpenDraft{Name: strings.Repeat("草", 65)})
		}, err: CodeInvalid},
		{name: "discards an open draft", given: []Event{opened}, decide: func(s Draft) ([]Event, error) {
			return DecideDiscardDraft(s, DiscardDraft{Name: opened.Name, Reason: "并入2026年版"})
		}, then: []Event{DraftDiscarded{Name: opened.Name, Reason: "并入2026年版"}}},
		{name: "discards only a draft that exists", decide: func(s Draft) ([]Event, error) {
			return DecideDiscardDraft(s, DiscardDraft{Name: "无此草案"})
		}, err: CodeDraftNotFound},
		{name: "discards once", given: []Event{opened, DraftDiscarded{Name: opened.Name}}, decide: func(s Draft) ([]Event, error) {
			return DecideDiscardDraft(s, DiscardDraft{Name: opened.Name})
		}, err: CodeDraftClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s Draft
			for _, e := range tc.given {
				s = EvolveDraft(s, e)
			}
			got, err := tc.decide(s)
			if tc.err != "" {
				require.Equal(t, tc.err, ErrorCode(err), "error: %v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.then, got)
		})
	}
}
