package domain

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every registered current type encodes and decodes back to itself, names
// itself as the registry does, and lives in a kind of stream the feed
// filter knows.
func TestRegistryRoundTrips(t *testing.T) {
	prefixes := StreamPrefixes()
	for _, def := range Events() {
		require.Contains(t, prefixes, def.Kind.Prefix, def.Type)
		require.True(t, OwnStream(def.Kind.Stream("x")), def.Type)
		if !def.Current {
			continue
		}
		e := reflect.New(def.Go).Elem().Interface().(Event)
		require.Equal(t, def.Type, e.EventType())
		typ, data, err := Encode(e)
		require.NoError(t, err)
		require.Equal(t, def.Type, typ)
		back, err := Decode(typ, data)
		require.NoError(t, err)
		require.Equal(t, e, back)
	}
	require.False(t, OwnStream("$et-ItemListed.v1"))
	require.False(t, OwnStream("other-app-1"))
}

// Every older version upcasts to a type that has a current version, and
// each Go type has exactly one.
func TestRegistryVersions(t *testing.T) {
	current := map[reflect.Type]int{}
	for _, def := range CurrentEvents() {
		current[def.Go]++
	}
	for _, def := range Events() {
		require.Equal(t, 1, current[def.Go], "%s decodes into %s, which needs one current version", def.Type, def.Go)
	}
}

// An older version decodes into the current struct.
func TestRegistryUpcasts(t *testing.T) {
	e, err := Decode(TypeItemCodeReservedV1, []byte(`{"code":"C","itemId":"i1"}`))
	require.NoError(t, err)
	require.Equal(t, ItemCodeReserved{Code: "C", ItemID: "i1"}, e)
	def, ok := Lookup(TypeItemCodeReservedV1)
	require.True(t, ok)
	require.False(t, def.Current)
}

// unregistered is an event the registry does not know: it must not be
// written, however well it encodes.
type unregistered struct{ ItemListed }

func (unregistered) EventType() string { return TypeItemListed }

func TestEncodeRefusesUnregistered(t *testing.T) {
	_, _, err := Encode(unregistered{})
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "registry"))
}

func TestStreamKinds(t *testing.T) {
	require.True(t, ItemStreams.IsStreamOf(ItemStream("abc"), "abc"))
	require.False(t, ItemStreams.IsStreamOf(ItemStream("abcd"), "abc"))
	require.False(t, ItemStreams.IsStreamOf(ItemCodeStream("abc"), "abc"))
	require.Equal(t, "itemcode-X", ItemCodeStream("X"))
}

func TestChangeAndItemOf(t *testing.T) {
	c := Change{Basis: "b", EffectiveFrom: MustDate("2024-01-01")}
	require.Equal(t, c, ChangeOf(ItemDelegated{ItemID: "i", Change: c}))
	require.Equal(t, Change{}, ChangeOf(ItemCodeReserved{ItemID: "i"}))
	require.Equal(t, "i", ItemOf(ItemCodeReserved{ItemID: "i"}))
	require.Equal(t, "", ItemOf(BodyRegistered{Code: "1"}))
	require.Equal(t, []string{"d1", "d2"}, DelegationsOf(DelegationWithdrawn{DelegationID: "d1", Ended: []string{"d2"}}))
	require.Equal(t, []string{"d3"}, DelegationsOf(ItemRevoked{Ended: []string{"d3"}}))
	require.Equal(t, []string{"d4"}, DelegationsOf(DelegationAccepted{DelegationID: "d4"}))
	require.Nil(t, DelegationsOf(ItemAmended{ItemID: "i"}))
}
