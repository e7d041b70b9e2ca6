package itemsheet

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
	// gbReplacement is U+FFFD encoded in GB18030. The x/text decoder turns
	// invalid input into U+FFFD without an error, so a U+FFFD in the output
	// means bad input unless the input itself spelled U+FFFD this way.
	gbReplacement = []byte{0x84, 0x31, 0xA4, 0x37}
)

// toUTF8 returns the sheet as UTF-8 without a byte-order mark.
//
// Chinese spreadsheet programs (Excel and WPS on a Chinese Windows) save
// "CSV" in the ANSI code page, i.e. GBK, unless told to use UTF-8; GBK is a
// subset of GB18030, so GB18030 decodes both. The two cannot be told apart
// by a header, so we sniff: text that is valid UTF-8 is taken as UTF-8 —
// Chinese text in GB18030 is practically never valid UTF-8, because its
// lead bytes 0x81–0xFE are rarely followed by UTF-8 continuation bytes in the
// exact required pattern — and anything else is decoded as GB18030.
// A UTF-8 byte-order mark settles the question. UTF-16 ("Unicode text" in
// Excel) is refused with a clear message rather than decoded as garbage.
func toUTF8(b []byte) ([]byte, *Problem) {
	if bytes.HasPrefix(b, utf16LEBOM) || bytes.HasPrefix(b, utf16BEBOM) {
		return nil, &Problem{Message: "the file is UTF-16; save it as CSV in UTF-8 or GB18030"}
	}
	if bytes.HasPrefix(b, utf8BOM) {
		rest := trimBOMs(b)
		if !utf8.Valid(rest) {
			return nil, &Problem{Line: invalidUTF8Line(rest),
				Message: "the file starts with a UTF-8 byte-order mark but is not valid UTF-8"}
		}
		return rest, nil
	}
	if utf8.Valid(b) {
		return b, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil { // not expected: the decoder replaces rather than fails
		return nil, &Problem{Message: "the file is neither UTF-8 nor GB18030: " + err.Error()}
	}
	if line := replacedLine(b, out); line > 0 {
		return nil, &Problem{Line: line, Message: "the file is neither valid UTF-8 nor valid GB18030"}
	}
	// A GB18030 byte-order mark (84 31 95 33) decodes to U+FEFF.
	return trimBOMs(out), nil
}

// trimBOMs drops every byte-order mark at the start of a UTF-8 text: a file
// saved twice by tools that each add one carries two, and a U+FEFF left in
// front of the first header would hide that header's name.
func trimBOMs(b []byte) []byte {
	for bytes.HasPrefix(b, utf8BOM) {
		b = b[len(utf8BOM):]
	}
	return b
}

// replacedLine returns the 1-based line of the first bytes of in that the
// GB18030 decoder replaced with U+FFFD in out, or 0 if it replaced none: the
// first line of out with more U+FFFD than the same line of in spells as
// gbReplacement. Whether the file spells U+FFFD anywhere else does not
// matter. Lines are the same in both, since the byte 0x0A is never part of
// a multi-byte GB18030 character and the decoder replaces an invalid
// sequence without consuming a line break after it.
func replacedLine(in, out []byte) int {
	inLines := bytes.Split(in, []byte{'\n'})
	for i, line := range bytes.Split(out, []byte{'\n'}) {
		spelt := 0
		if i < len(inLines) {
			spelt = bytes.Count(inLines[i], gbReplacement)
		}
		if bytes.Count(line, []byte("\uFFFD")) > spelt {
			return i + 1
		}
	}
	return 0
}

// invalidUTF8Line returns the 1-based line of the first invalid UTF-8 byte.
func invalidUTF8Line(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		b = b[size:]
	}
	return line
}
