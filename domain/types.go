package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Date is a civil date (施行日期) with no time zone: a change takes legal
// effect on a day, not at an instant. The zero Date means "not set".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// MustDate is ParseDate for literals in tests and fixtures.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) ord() int { return d.Year*10000 + int(d.Month)*100 + d.Day }

// Before reports whether d is strictly earlier than o.
func (d Date) Before(o Date) bool { return d.ord() < o.ord() }

// After reports whether d is strictly later than o.
func (d Date) After(o Date) bool { return d.ord() > o.ord() }

// AddDays returns the date n days later.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Mode is how a power is handed to a body.
type Mode string

// Delegation modes.
const (
	// ModeDevolve (下放): the receiving body exercises the power in its own name.
	ModeDevolve Mode = "DEVOLVE"
	// ModeEntrust (委托): the receiving body acts in the delegator's name under
	// a written agreement and may not entrust it further (行政许可法 第24条).
	ModeEntrust Mode = "ENTRUST"
	// ModeEmpower (赋权): a power granted to a functional zone, which is not
	// an administrative division.
	ModeEmpower Mode = "EMPOWER"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeDevolve || m == ModeEntrust || m == ModeEmpower }

// BodyKind is what kind of body may receive a delegation.
type BodyKind string

// Body kinds. Provinces and cities appear as the top of delegation chains
// (province → city → district → town).
const (
	KindProvince BodyKind = "PROVINCE"
	KindCity     BodyKind = "CITY"
	KindDistrict BodyKind = "DISTRICT"
	KindZone     BodyKind = "ZONE"
	KindTownship BodyKind = "TOWNSHIP"
)

// Valid reports whether k is a known kind.
func (k BodyKind) Valid() bool {
	switch k {
	case KindProvince, KindCity, KindDistrict, KindZone, KindTownship:
		return true
	}
	return false
}

// parentKinds says under which kinds of body each kind may be registered.
var parentKinds = map[BodyKind][]BodyKind{
	KindProvince: nil,
	KindCity:     {KindProvince},
	KindDistrict: {KindCity, KindProvince},
	KindZone:     {KindProvince, KindCity, KindDistrict},
	KindTownship: {KindDistrict},
}

// Level is the administrative level that exercises an item (审批层级).
type Level string

// Levels.
const (
	LevelNational   Level = "NATIONAL"
	LevelProvincial Level = "PROVINCIAL"
	LevelMunicipal  Level = "MUNICIPAL"
	LevelCounty     Level = "COUNTY"
	LevelTownship   Level = "TOWNSHIP"
)

// Valid reports whether l is a known level.
func (l Level) Valid() bool {
	switch l {
	case LevelNational, LevelProvincial, LevelMunicipal, LevelCounty, LevelTownship:
		return true
	}
	return false
}

// ParseLevel accepts the code name or the Chinese wording used in published
// lists (国家级, 省级, 市级, 县级(区), 乡镇级 …).
func ParseLevel(s string) (Level, bool) {
	s = strings.TrimSpace(s)
	if l := Level(strings.ToUpper(s)); l.Valid() {
		return l, true
	}
	switch {
	case strings.HasPrefix(s, "国家") || strings.HasPrefix(s, "中央"):
		return LevelNational, true
	case strings.HasPrefix(s, "省"):
		return LevelProvincial, true
	case strings.HasPrefix(s, "市"):
		return LevelMunicipal, true
	case strings.HasPrefix(s, "县") || strings.HasPrefix(s, "区"):
		return LevelCounty, true
	case strings.HasPrefix(s, "乡") || strings.HasPrefix(s, "镇") || strings.HasPrefix(s, "街道"):
		return LevelTownship, true
	}
	return "", false
}

// Change is what every command carries besides its own fields: the document
// that decides it, why, and from when it takes legal effect. The actor and
// the command id travel in event metadata, set by the caller of decide.
type Change struct {
	Basis         string `json:"basis"`         // 文号, e.g. 青政发〔2023〕5号
	Reason        string `json:"reason"`        // why, in the officer's words
	EffectiveFrom Date   `json:"effectiveFrom"` // 施行日期
}

// Maximum lengths of free text, in characters. Generous for real documents,
// small enough that one event stays far below EventStoreDB's 1 MiB append.
const (
	maxShortText = 200
	maxLongText  = 20000
)

func (c Change) validate() error {
	if err := requireText("basis", c.Basis, maxShortText); err != nil {
		return err
	}
	if err := optionalText("reason", c.Reason, maxLongText); err != nil {
		return err
	}
	if c.EffectiveFrom.IsZero() {
		return Errorf(CodeInvalid, "effectiveFrom", "the effective date is required")
	}
	return nil
}

func requireText(field, s string, max int) error {
	if strings.TrimSpace(s) == "" {
		return Errorf(CodeInvalid, field, "must not be empty")
	}
	return optionalText(field, s, max)
}

func optionalText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return Errorf(CodeInvalid, field, "is not valid UTF-8")
	}
	// PostgreSQL text cannot hold NUL: an event carrying one would stop the
	// PostgreSQL projector for good.
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(CodeInvalid, field, "holds a NUL character (U+0000), which no text may contain")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(CodeInvalid, field, "is %d characters long; at most %d are allowed", n, max)
	}
	return nil
}
