package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/catalogue/catalogue/domain"
)

func TestRegisterBody(t *testing.T) {
	c := chg("青政发〔2013〕1号", d2023)
	city := Body{Code: "370200", Registered: true, Name: "青岛市", Kind: KindCity}
	dist := Body{Code: "370211", Registered: true, Name: "黄岛区", Kind: KindDistrict, Parent: "370200"}
	cases := []struct {
		name   string
		given  []Event
		parent Body // the state of cmd.Parent, as the caller looked it up
		cmd    RegisterBody
		then   []Event
		err    Code
	}{
		{name: "registers a district under its city", cmd: RegisterBody{Code: "370211", Name: "黄岛区", Kind: KindDistrict, Parent: "370200", Change: c}, parent: city,
			then: []Event{BodyRegistered{Code: "370211", Name: "黄岛区", Kind: KindDistrict, Parent: "370200", Change: c}}},
		{name: "a province stands alone", cmd: RegisterBody{Code: "370000", Name: "山东省", Kind: KindProvince, Change: c},
			then: []Event{BodyRegistered{Code: "370000", Name: "山东省", Kind: KindProvince, Change: c}}},
		{name: "registered once", given: []Event{BodyRegistered{Code: "370211", Name: "黄岛区", Kind: KindDistrict, Parent: "370200", Change: c}},
			cmd: RegisterBody{Code: "370211", Name: "黄岛区", Kind: KindDistrict, Parent: "370200", Change: c}, parent: city, err: CodeBodyExists},
		{name: "a township belongs to a district", cmd: RegisterBody{Code: "370211001", Name: "黄岛街道", Kind: KindTownship, Parent: "370200", Change: c}, parent: city, err: CodeBodyHierarchy},
		{name: "a township needs its district", cmd: RegisterBody{Code: "370211001", Name: "黄岛街道", Kind: KindTownship, Change: c}, err: CodeBodyHierarchy},
		{name: "parent must be registered", cmd: RegisterBody{Code: "370211001", Name: "黄岛街道", Kind: KindTownship,
			Parent: "370211", Change: c}, parent: Body{Code: "370211"}, err: CodeBodyNotFound},
		{name: "the parent looked up must be the parent named", cmd: RegisterBody{Code: "370211001", Name: "黄岛街道", Kind: KindTownship,
			Parent: "370211", Change: c}, parent: city, err: CodeBodyNotFound},
		{name: "kind must be known", cmd: RegisterBody{Code: "X", Name: "某区", Kind: "COUNTY", Change: c}, err: CodeInvalid},
		{name: "code without spaces", cmd: RegisterBody{Code: "37 02", Name: "某区", Kind: KindProvince, Change: c}, err: CodeInvalid},
		{name: "a zone under a district", cmd: RegisterBody{Code: "Z1", Name: "青岛西海岸新区", Kind: KindZone, Parent: "370211", Change: c}, parent: dist,
			then: []Event{BodyRegistered{Code: "Z1", Name: "青岛西海岸新区", Kind: KindZone, Parent: "370211", Change: c}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s Body
			for _, e := range tc.given {
				s = EvolveBody(s, e)
			}
			got, err := DecideRegisterBody(s, tc.parent, tc.cmd)
			if tc.err != "" {
				require.Equal(t, tc.err, ErrorCode(err), "error: %v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.then, got)
		})
	}
}

func TestPublishEdition(t *testing.T) {
	c := chg("青政办发〔2023〕12号", d2023)
	got, err := DecidePublishEdition(Edition{}, PublishEdition{Name: "2023年版", Change: c})
	require.NoError(t, err)
	require.Equal(t, []Event{EditionPublished{Name: "2023年版", Change: c}}, got)

	s := EvolveEdition(Edition{}, got[0])
	_, err = DecidePublishEdition(s, PublishEdition{Name: "2023年版", Change: c})
	require.Equal(t, CodeEditionExists, ErrorCode(err))

	_, err = DecidePublishEdition(Edition{}, PublishEdition{Name: "", Change: c})
	require.Equal(t, CodeInvalid, ErrorCode(err))
}

func TestCodecRoundTripsEveryEventByteForByte(t *testing.T) {
	events := []Event{
		listed, toDist, revoked,
		ItemAmended{ItemID: "i1", Name: ptr("林木采伐许可（含“特殊”情形）"), SubItems: &[]SubItem{}, Change: chg("青政发〔2024〕3号", d2024)},
		DelegationAccepted{ItemID: "i1", DelegationID: "d1", Body: "370211", Change: chg("黄政字〔2024〕1号", d2024)},
		DelegationWithdrawn{ItemID: "i1", DelegationID: "d1", Ended: []string{"d2"}, Change: chg("x", d2025)},
		ItemCodeReserved{Code: "00016421300Y", ItemID: "i1"},
		BodyRegistered{Code: "370211", Name: "黄岛区", Kind: KindDistrict, Parent: "370200", Change: chg("x", d2023)},
		EditionPublished{Name: "2023年版", Change: chg("青政办发〔2023〕12号", d2023)},
	}
	for _, e := range events {
		typ, data, err := Encode(e)
		require.NoError(t, err)
		require.Equal(t, e.EventType(), typ)
		back, err := Decode(typ, data)
		require.NoError(t, err)
		require.Equal(t, e, back)
		_, again, err := Encode(back)
		require.NoError(t, err)
		require.Equal(t, string(data), string(again))
	}
	require.Contains(t, func() string { _, d, _ := Encode(listed); return string(d) }(), "林木采伐许可证核发", "Chinese is stored as UTF-8, not escaped")
	_, err := Decode("ItemTeleported.v1", []byte("{}"))
	require.Error(t, err)
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"县级(区)": LevelCounty, "省级": LevelProvincial, "市级": LevelMunicipal,
		"国家级": LevelNational, "乡镇级": LevelTownship, "COUNTY": LevelCounty, "municipal": LevelMunicipal} {
		got, ok := ParseLevel(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	_, ok := ParseLevel("银河级")
	require.False(t, ok)
}
