package sheet

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProblemsOfAWorkbookAreListedSheetBySheet(t *testing.T) {
	ps := Problems{Source: "itemsheet"}
	ps.SetSheets([]string{"第一部分", "第二部分"})
	ps.AddIn("第二部分", 2, "", "b")
	ps.AddIn("第一部分", 9, "事项名称", "a")
	ps.Add(0, "", "whole file")
	require.EqualError(t, ps.Err(), "itemsheet: 3 problems:\n"+
		"whole file\n"+
		`sheet "第一部分" row 9: a`+"\n"+
		`sheet "第二部分" row 2: b`)
	require.Equal(t, `sheet "第二部分": no header`, Problem{Sheet: "第二部分", Message: "no header"}.String())
	require.Equal(t, "line 3: x", Problem{Line: 3, Message: "x"}.String())
}
