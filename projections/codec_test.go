package projections

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

func sampleEvents() []domain.Event {
	c := domain.Change{Basis: "青政发〔2023〕5号", Reason: "依据《国务院关于深化“证照分离”改革的通知》调整\n第二行\t\"引号\" \\ \u2028", EffectiveFrom: domain.MustDate("2024-02-29")}
	subs := []domain.SubItem{{Code: "00016421300Y-001", Name: "林木采伐许可证核发（新办）"}}
	name, dept, level := "林木采伐许可（含“特殊”情形）", "市自然资源和规划局", domain.LevelCounty
	return []domain.Event{
		domain.ItemListed{ItemID: "i1", Code: "00016421300Y", Name: "林木采伐许可证核发", Department: dept, Authority: "区行政审批服务局",
			LegalBasis: strings.Repeat("《中华人民共和国森林法》第五十六条。", 4), Level: domain.LevelMunicipal, SubItems: subs, Change: c},
		domain.ItemListed{ItemID: "i1", Code: "X", Name: "无子项", Level: domain.LevelMunicipal, SubItems: []domain.SubItem{}, Change: c},
		domain.ItemAmended{ItemID: "i1", Name: &name, Department: &dept, Level: &level, SubItems: &subs, Change: c},
		domain.ItemAmended{ItemID: "i1", SubItems: &[]domain.SubItem{}, Change: c},
		domain.ItemDelegated{ItemID: "i1", DelegationID: "d1", From: "370211", ParentDelegationID: "d0", To: "370211001", Mode: domain.ModeEntrust,
			Scope: []string{"00016421300Y-001"}, EffectiveUntil: domain.MustDate("2025-12-31"), Change: c},
		domain.ItemDelegated{ItemID: "i1", DelegationID: "d2", To: "370211", Mode: domain.ModeDevolve, Change: c},
		domain.DelegationAccepted{ItemID: "i1", DelegationID: "d1", Body: "370211", Change: c},
		domain.DelegationWithdrawn{ItemID: "i1", DelegationID: "d1", Ended: []string{"d2", "d3"}, Change: c},
		domain.ItemRevoked{ItemID: "i1", Code: "00016421300Y", Ended: []string{"d2"}, Change: c},
		domain.ItemCodeReserved{Code: "00016421300Y", ItemID: "i1", Listing: &domain.ItemListed{ItemID: "i1", Code: "00016421300Y", Name: "林木采伐许可证核发",
			Department: dept, Level: domain.LevelMunicipal, SubItems: subs, Change: c}},
		domain.BodyRegistered{Code: "370211", Name: "黄岛区", Kind: domain.KindDistrict, Parent: "370200", Change: c},
		domain.EditionPublished{Name: "2023年版", Change: c},
		domain.DraftOpened{Name: "2025年版（草案）", Reason: c.Reason},
		domain.DraftDiscarded{Name: "2025年版（草案）"},
	}
}

// The fast decoder and the domain's must read every event the same way.
func TestFastDecodeAgrees(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range sampleEvents() {
		typ, data, err := domain.Encode(e)
		require.NoError(t, err)
		seen[typ] = true
		want, err := domain.Decode(typ, data)
		require.NoError(t, err)
		got, err := decodeEvent(typ, data)
		require.NoError(t, err)
		require.Equal(t, want, got, typ)
		require.Equal(t, e, got, typ)
		if _, has := scanners[typ]; has {
			_, scanned := scanEvent(typ, data)
			require.Equal(t, !strings.ContainsRune(string(data), '\\'), scanned, "%s in the plain form takes the fast path", typ)
		}
	}
	for _, def := range domain.CurrentEvents() {
		require.True(t, seen[def.Type], "%s has a sample", def.Type)
	}
	for typ := range scanners {
		require.True(t, domain.KnownType(typ), "the scanner for %s is for a registered type", typ)
	}
	// Data written by hand: null dates, missing fields, odd spacing.
	for typ, data := range map[string]string{
		domain.TypeItemDelegated:  `{ "itemId" : "i1", "delegationId":"d1","to":"370211","mode":"DEVOLVE","effectiveUntil":null,"basis":"x","reason":"","effectiveFrom":"2024-01-01" }`,
		domain.TypeItemListed:     `{"itemId":"i1","code":"C","name":"名","level":"COUNTY","subItems":null,"effectiveFrom":"2024-01-01","extra":{"a":[1,2]}}`,
		domain.TypeBodyRegistered: `{"code":"1","name":"\u9ec4\u5c9b\u533a","kind":"DISTRICT","effectiveFrom":"2024-01-01"}`,
		// A reservation as written before reservations carried their listing.
		domain.TypeItemCodeReservedV1: `{"code":"00016421300Y","itemId":"i1"}`,
	} {
		want, err := domain.Decode(typ, []byte(data))
		require.NoError(t, err)
		got, err := decodeEvent(typ, []byte(data))
		require.NoError(t, err)
		require.Equal(t, want, got, data)
	}
	// What the domain refuses, the fast path refuses.
	for _, data := range []string{`{"effectiveFrom":"2024-02-30"}`, `{"effectiveFrom":"2024-1-01"}`, `{"effectiveFrom":20240101}`, `{"itemId":`, `[]`} {
		_, wantErr := domain.Decode(domain.TypeItemAmended, []byte(data))
		_, gotErr := decodeEvent(domain.TypeItemAmended, []byte(data))
		require.Error(t, wantErr, data)
		require.Error(t, gotErr, data)
	}
	_, err := decodeEvent("ItemTeleported.v1", []byte(`{}`))
	require.Error(t, err)
}

// Random events of the types with a hand-written scanner, with text full of
// what JSON must escape, decode exactly as the domain decodes them.
func TestScannedEventsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	plain := []string{"a", "Z", "0", "-", " ", "黄岛区", "〔2023〕", "“", "😀", "/"}
	special := []string{"\"", "\\", "\n", "\t", "\u2028", "<", "&", "\x00"} // escaped when written
	text := func() string {
		var b strings.Builder
		for range rng.IntN(8) {
			if rng.IntN(40) == 0 {
				b.WriteString(special[rng.IntN(len(special))])
			} else {
				b.WriteString(plain[rng.IntN(len(plain))])
			}
		}
		return b.String()
	}
	texts := func() []string {
		if rng.IntN(3) == 0 {
			return nil
		}
		out := make([]string, rng.IntN(3))
		for i := range out {
			out[i] = text()
		}
		return out
	}
	date := func() domain.Date {
		if rng.IntN(4) == 0 {
			return domain.Date{}
		}
		return domain.MustDate("2000-01-01").AddDays(rng.IntN(20000))
	}
	change := func() domain.Change { return domain.Change{Basis: text(), Reason: text(), EffectiveFrom: date()} }
	fast := 0
	for range 3000 {
		var e domain.Event
		switch rng.IntN(5) {
		case 0:
			e = domain.ItemDelegated{ItemID: text(), DelegationID: text(), From: text(), ParentDelegationID: text(), To: text(),
				Mode: domain.Mode(text()), Scope: texts(), EffectiveUntil: date(), Change: change()}
		case 1:
			e = domain.DelegationAccepted{ItemID: text(), DelegationID: text(), Body: text(), Change: change()}
		case 2:
			e = domain.DelegationWithdrawn{ItemID: text(), DelegationID: text(), Ended: texts(), Change: change()}
		case 3:
			e = domain.ItemRevoked{ItemID: text(), Code: text(), Ended: texts(), Change: change()}
		default:
			e = domain.ItemCodeReserved{Code: text(), ItemID: text()}
			if rng.IntN(2) == 0 {
				e = domain.ItemCodeReserved{Code: text(), ItemID: text(), Listing: &domain.ItemListed{ItemID: text(), Code: text(), Name: text(),
					Department: text(), Level: domain.Level(text()), SubItems: []domain.SubItem{{Code: text(), Name: text()}}, Change: change()}}
			}
		}
		typ, data, err := domain.Encode(e)
		require.NoError(t, err)
		want, err := domain.Decode(typ, data)
		require.NoError(t, err)
		got, err := decodeEvent(typ, data)
		require.NoError(t, err)
		require.Equal(t, want, got, string(data))
		if _, ok := scanEvent(typ, data); ok {
			fast++
		}
	}
	require.Greater(t, fast, 1000, "the fast path is taken where it can be")
}

func TestFastDateAgreesWithTheDomain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		s := []byte(`"` + time.Date(1990+rng.IntN(60), time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(31)).Format(time.DateOnly) + `"`)
		if rng.IntN(4) == 0 { // garble a digit now and then
			s[1+rng.IntN(10)] = byte('0' + rng.IntN(10))
		}
		var want, got domain.Date
		wantErr := want.UnmarshalJSON(s)
		gotErr := unmarshalDate(s, &got)
		require.Equal(t, wantErr == nil, gotErr == nil, string(s))
		require.Equal(t, want, got, string(s))
	}
}

func TestMetadataDecodesLikeEncodingJSON(t *testing.T) {
	written := func(m eventstore.Metadata) string {
		data, err := json.Marshal(m)
		require.NoError(t, err)
		return string(data)
	}
	for _, c := range []struct {
		data string
		fast bool
	}{
		{written(eventstore.Metadata{Actor: "officer:张三", CommandID: "c-1", CorrelationID: "corr", CausationID: "cause",
			RecordedAt: time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.UTC)}), true},
		{written(eventstore.Metadata{Actor: "demo", CommandID: "c-2", RecordedAt: time.Date(2024, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))}), true},
		{written(eventstore.Metadata{Actor: "officer:张三", CommandID: "c-4", CommandHash: "f5c4453c3a3167d42cec120694affa3e", RecordedAt: time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)}), true},
		{written(eventstore.Metadata{}), true},
		{written(eventstore.Metadata{Actor: `a "quoted" \ actor`, CommandID: "c-3"}), false},
		{`{ "actor": "spaced", "commandId": "c", "recordedAt": "2024-03-01T09:30:00Z" }`, false},
		{`{"actor":"a","future":"x","recordedAt":"2024-03-01T09:30:00Z"}`, false},
		{`{"actor":"a","recordedAt":null}`, false},
		{`{"actor":"\u9ec4"}`, false},
	} {
		var want eventstore.Metadata
		require.NoError(t, json.Unmarshal([]byte(c.data), &want), c.data)
		got, err := decodeMetadata([]byte(c.data))
		require.NoError(t, err, c.data)
		require.True(t, want.RecordedAt.Equal(got.RecordedAt), c.data)
		want.RecordedAt, got.RecordedAt = time.Time{}, time.Time{}
		require.Equal(t, want, got, c.data)
		_, fast := scanMetadata([]byte(c.data))
		require.Equal(t, c.fast, fast, "fast path for %s", c.data)
	}
	for _, bad := range []string{`{"actor":`, `{"actor":"a"`, `{"actor":"a"}x`, `{"recordedAt":"yesterday"}`, `[]`} {
		_, err := decodeMetadata([]byte(bad))
		require.Error(t, err, bad)
	}
}

func TestDecodeEnvelope(t *testing.T) {
	_, data, err := domain.Encode(sampleEvents()[0])
	require.NoError(t, err)
	rec := eventstore.RecordedEvent{Stream: "item-i1", Position: 7, Type: domain.TypeItemListed, Data: data,
		Metadata: []byte(`{"actor":"officer:张三","commandId":"c1","recordedAt":"2024-03-01T09:30:00Z"}`)}
	env, err := Decode(rec)
	require.NoError(t, err)
	require.Equal(t, sampleEvents()[0], env.Event)
	require.Equal(t, "officer:张三", env.Meta.Actor)
	require.Equal(t, eventstore.Position(7), env.Position)

	rec.Metadata = []byte(`not json`)
	_, err = Decode(rec)
	require.ErrorContains(t, err, "position 7")
	rec.Stream = "orders-1" // not ours: not decoded at all
	env, err = Decode(rec)
	require.NoError(t, err)
	require.Nil(t, env.Event)
}
