package export

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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
