package export

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
)

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":           0,
		"XK0001":     6,
		"林木采伐许可证核发":  18,
		"《森林法》第56条":  16, // 《》 are wide, digits narrow
		"“许可”":       8,  // ambiguous quotation marks: full width in Chinese fonts
		"短\n第二行更长一些": 14, // the widest line counts
		"ＡＢ":         4,  // fullwidth Latin
	} {
		require.Equal(t, want, displayWidth(s), "%q", s)
	}
}

func TestWidthsAreCapped(t *testing.T) {
	tb := newTable("t", []column{{name: "序号"}, {name: "设定和实施依据"}})
	tb.add([][]string{{"1", strings.Repeat("依", 200)}})
	require.Equal(t, []float64{minWidth, maxWidth}, tb.widths())
}

// A character XLSX cannot hold is refused with the item and the column,
// not replaced; CSV holds it as it is.
func TestTextXLSXCannotHold(t *testing.T) {
	items := pages{{ItemFacts: domain.ItemFacts{Code: "XK0001", Name: "甲", Authority: "某局", LegalBasis: "《甲法》\x01第一条"}}}
	req := Request{InForceOn: domain.MustDate("2026-01-01")}
	_, err := Write(context.Background(), items, req, XLSX, io.Discard, nil)
	require.Equal(t, domain.CodeInvalid, domain.ErrorCode(err))
	require.ErrorContains(t, err, "事项编码 XK0001: 设定和实施依据 holds the character U+0001")
	var b bytes.Buffer
	_, err = Write(context.Background(), items, req, CSV, &b, nil)
	require.NoError(t, err)
	require.Contains(t, b.String(), "《甲法》\x01第一条")
}
