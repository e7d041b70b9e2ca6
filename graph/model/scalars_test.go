package model

import (
	"testing"
	"time"

	"github.com/catalogue/catalogue/domain"
)

func TestAppendQuotedDateMatchesString(t *testing.T) {
	for _, d := range []domain.Date{
		{Year: 2024, Month: time.March, Day: 7}, {Year: 1, Month: 1, Day: 1}, {Year: 9999, Month: 12, Day: 31},
		{Year: 0, Month: 12, Day: 31}, {Year: 10000, Month: 1, Day: 1}, {Year: -5, Month: 2, Day: 3},
		{Year: 2024, Month: 100, Day: 1}, {Year: 2024, Month: 1, Day: 123}, {Year: 812, Month: 9, Day: 30},
	} {
		if got, want := string(appendQuotedDate(nil, d)), `"`+d.String()+`"`; got != want {
			t.Errorf("%+v: got %s, want %s", d, got, want)
		}
	}
}
