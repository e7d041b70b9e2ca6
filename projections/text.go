package projections

import (
	"strings"
	"unicode"
)

// containsFold reports whether lower (lower-cased) occurs in s, ignoring
// case. Chinese text has no case, so the common path is one strings.Contains
// that allocates nothing; only text with upper-case letters is lowered.
func containsFold(s, lower string) bool {
	if strings.Contains(s, lower) {
		return true
	}
	return strings.IndexFunc(s, unicode.IsUpper) >= 0 && strings.Contains(strings.ToLower(s), lower)
}
