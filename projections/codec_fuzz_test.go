package projections

import (
	stdjson "encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// FuzzDecodeAgrees is the differential test of the fast decoders: for any
// type name and bytes, the hand-written scanner (scan.go) either gives up
// or returns exactly what encoding/json decodes into the domain's type, and
// decodeEvent as a whole returns what domain.Decode returns or refuses what
// it refuses. The read models and the write side must never read one
// stored event two ways.
func FuzzDecodeAgrees(f *testing.F) {
	for _, e := range sampleEvents() {
		typ, data, err := domain.Encode(e)
		require.NoError(f, err)
		f.Add(typ, data)
	}
	f.Add(domain.TypeItemDelegated, []byte(`{ "itemId" : "i1", "delegationId":"d1","to":"370211","mode":"DEVOLVE","effectiveUntil":null,"basis":"x","reason":"","effectiveFrom":"2024-01-01" }`))
	f.Add(domain.TypeItemDelegated, []byte(`{"itemId":"i1","scope":[],"scope":["a"],"effectiveUntil":"2024-02-29"}`))
	f.Add(domain.TypeItemAmended, []byte(`{"effectiveFrom":"2024-02-30"}`))
	f.Add(domain.TypeItemCodeReserved, []byte(`{"code":"\u9ec4","itemId":"i1"}`))
	f.Add("ItemTeleported.v1", []byte(`{}`))
	// Where encoding/json/v2's defaults differ from encoding/json's: names
	// in another case, a name twice, invalid UTF-8.
	f.Add(domain.TypeItemListed, []byte(`{"ItemId":"i1","CODE":"X","subItems":[{"Code":"a"}]}`))
	f.Add(domain.TypeItemDelegated, []byte(`{"itemId":"i1","itemId":"i2"}`))
	f.Add(domain.TypeBodyRegistered, []byte("{\"name\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		want, wantErr := domain.Decode(typ, data)
		if scanned, ok := scanEvent(typ, data); ok {
			require.NoError(t, wantErr, "the scanner read %s, which encoding/json refuses", data)
			require.Equal(t, want, scanned, "the scanner read %s", data)
		}
		got, gotErr := decodeEvent(typ, data)
		if wantErr != nil {
			require.Error(t, gotErr, "decodeEvent read %s, which the domain refuses (%v)", data, wantErr)
			return
		}
		require.NoError(t, gotErr, "decodeEvent refused %s, which the domain reads", data)
		require.Equal(t, want, got, "decodeEvent read %s", data)
	})
}

// FuzzMetadataAgrees is FuzzDecodeAgrees for event metadata.
func FuzzMetadataAgrees(f *testing.F) {
	for _, m := range []eventstore.Metadata{
		{Actor: "officer:张三", CommandID: "c-1", CorrelationID: "corr", CausationID: "cause", RecordedAt: time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.UTC)},
		{Actor: "demo", CommandID: "c-2", RecordedAt: time.Date(2024, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))},
		{},
	} {
		data, err := stdjson.Marshal(m)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`{"actor":"a","recordedAt":null}`))
	f.Add([]byte(`{"actor":"\u9ec4","future":"x","recordedAt":"2024-03-01T09:30:00.5+08:00"}`))
	f.Add([]byte(`{"Actor":"a","actor":"b","commandId":"\u9ec4","COMMANDID":"c"}`))
	f.Add([]byte("{\"actor\":\"\xff\",\"recordedAt\":\"2024-03-01T09:30:00Z\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want eventstore.Metadata
		wantErr := stdjson.Unmarshal(data, &want)
		same := func(how string, got eventstore.Metadata) {
			t.Helper()
			require.True(t, want.RecordedAt.Equal(got.RecordedAt), "%s read the time of %s as %v, not %v", how, data, got.RecordedAt, want.RecordedAt)
			require.Equal(t, want.RecordedAt.Format(time.RFC3339Nano), got.RecordedAt.Format(time.RFC3339Nano), "%s read the zone of %s", how, data)
			want.RecordedAt, got.RecordedAt = time.Time{}, time.Time{}
			require.Equal(t, want, got, "%s read %s", how, data)
		}
		if scanned, ok := scanMetadata(data); ok {
			require.NoError(t, wantErr, "the scanner read %s, which encoding/json refuses", data)
			same("the scanner", scanned)
			return
		}
		got, gotErr := decodeMetadata(data)
		if wantErr != nil {
			require.Error(t, gotErr, "decodeMetadata read %s, which encoding/json refuses (%v)", data, wantErr)
			return
		}
		require.NoError(t, gotErr, "decodeMetadata refused %s, which encoding/json reads", data)
		same("decodeMetadata", got)
	})
}

// FuzzEventRoundTrip builds valid events of every type from fuzzed text
// and dates: what domain.Encode writes decodes — by the domain and by the
// fast decoders — to the same event and encodes to the same bytes, with
// Chinese text written as it is, not escaped.
func FuzzEventRoundTrip(f *testing.F) {
	for kind := range uint8(9) {
		f.Add(kind, "i1", "511A0138600000", "教师资格认定", "区教科体局", 739300)
		f.Add(kind, "", "370211", "依据《国务院关于深化“证照分离”改革的通知》调整\n\t\"引号\" \\ \u2028<&>", "d1,d2", 0)
	}
	f.Add(uint8(2), "i1", "", "😀", "a,,b", 3652058) // 9999-12-31
	f.Fuzz(func(t *testing.T, kind uint8, s1, s2, s3, s4 string, days int) {
		for _, s := range []string{s1, s2, s3, s4} {
			if !utf8.ValidString(s) {
				t.Skip("the domain admits only valid UTF-8 text")
			}
		}
		e := fuzzEvent(kind, s1, s2, s3, s4, days)
		typ, data, err := domain.Encode(e)
		require.NoError(t, err)
		requireOnlyNeededEscapes(t, data)
		for how, decode := range map[string]func(string, []byte) (domain.Event, error){"domain.Decode": domain.Decode, "decodeEvent": decodeEvent} {
			got, err := decode(typ, data)
			require.NoError(t, err, "%s of %s", how, data)
			require.Equal(t, e, got, "%s of %s", how, data)
			_, again, err := domain.Encode(got)
			require.NoError(t, err)
			require.Equal(t, string(data), string(again), "%s then Encode", how)
		}
	})
}

// requireOnlyNeededEscapes fails unless every \u escape in JSON data is
// one encoding/json must write (control characters, the HTML-sensitive
// <, > and &, U+2028 and U+2029): other text, Chinese above all, is
// stored as UTF-8.
func requireOnlyNeededEscapes(t *testing.T, data []byte) {
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		i++
		if i < len(data) && data[i] == 'u' && i+4 < len(data) {
			r, err := strconv.ParseUint(string(data[i+1:i+5]), 16, 16)
			require.NoError(t, err, "escape in %s", data)
			if !(r < 0x20 || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029) {
				t.Fatalf("%s escapes U+%04X", data, r)
			}
			i += 4
		}
	}
}

// fuzzEvent makes an event of one of the nine types from four texts and a
// date (days after 0000-01-01; negative for none), shaped as the domain
// decides them. Lists are s4 split at commas; an empty s4 is no list.
func fuzzEvent(kind uint8, s1, s2, s3, s4 string, days int) domain.Event {
	var date domain.Date
	if days >= 0 {
		date = domain.Date{Year: 0, Month: time.January, Day: 1}.AddDays(days % 3652424) // up to 9999-12-31
	}
	var list []string
	subs := []domain.SubItem{} // never nil, as the domain decides (emptyIfNil)
	if s4 != "" {
		list = strings.Split(s4, ",")
		for _, code := range list {
			subs = append(subs, domain.SubItem{Code: code, Name: s3})
		}
	}
	c := domain.Change{Basis: s2, Reason: s3, EffectiveFrom: date}
	switch kind % 9 {
	case 0:
		return domain.ItemListed{ItemID: s1, Code: s2, Name: s3, Department: s4, Authority: s1, LegalBasis: s3 + s4,
			Level: domain.Level(s2), SubItems: subs, Change: c}
	case 1:
		e := domain.ItemAmended{ItemID: s1, Name: &s3, Level: (*domain.Level)(&s2), Change: c}
		if kind&0x10 != 0 {
			e.Department, e.Authority, e.LegalBasis, e.SubItems = &s4, &s1, &s2, &subs
		}
		return e
	case 2:
		return domain.ItemDelegated{ItemID: s1, DelegationID: s2, From: s3, ParentDelegationID: s4, To: s1,
			Mode: domain.Mode(s2), Scope: list, EffectiveUntil: date, Change: c}
	case 3:
		return domain.DelegationAccepted{ItemID: s1, DelegationID: s2, Body: s4, Change: c}
	case 4:
		return domain.DelegationWithdrawn{ItemID: s1, DelegationID: s2, Ended: list, Change: c}
	case 5:
		return domain.ItemRevoked{ItemID: s1, Code: s2, Ended: list, Change: c}
	case 6:
		return domain.ItemCodeReserved{Code: s2, ItemID: s1}
	case 7:
		return domain.BodyRegistered{Code: s2, Name: s3, Kind: domain.BodyKind(s4), Parent: s1, Change: c}
	default:
		return domain.EditionPublished{Name: s3, Change: c}
	}
}
