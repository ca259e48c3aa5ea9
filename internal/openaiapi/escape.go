package openaiapi

import (
	"math"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string literal. The output is valid JSON
// for every input: '"', '\\' and control characters are escaped, invalid
// UTF-8 becomes U+FFFD, and U+2028/U+2029 are escaped so the text is also
// safe inside JavaScript. '<', '>' and '&' are left alone (no HTML here).
func AppendString(dst []byte, s string) []byte { return appendJSONString(dst, s) }

// AppendMarshalString appends s exactly as json.Marshal writes a string:
// as AppendString, and also '<', '>' and '&' as \u003c, \u003e and
// \u0026, and each invalid UTF-8 byte as the escape \ufffd. It is for
// upstream bodies that must stay byte for byte what json.Marshal of a wire
// struct produced (goldens, and caches or signatures over the body).
func AppendMarshalString(dst []byte, s string) []byte { return appendMarshalString(dst, s) }

// rawASCII[c] reports whether ASCII byte c may be copied into a JSON string
// as is; marshalRawASCII also escapes what json.Marshal escapes for HTML.
// One table lookup per byte keeps the common path as short as the
// comparisons it replaces.
var rawASCII, marshalRawASCII = asciiTables()

func asciiTables() (plain, marshal [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
		marshal[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return plain, marshal
}

// appendJSONString serves both strings and the byte slices of stream deltas,
// so neither needs a conversion (and its allocation).
func appendJSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	return appendEscaped(dst, s, &rawASCII, false)
}

func appendMarshalString(dst []byte, s string) []byte {
	return appendEscaped(dst, s, &marshalRawASCII, true)
}

// appendEscaped writes s quoted, copying the ASCII bytes raw[c] allows as
// they are; marshal selects json.Marshal's form for invalid UTF-8.
func appendEscaped[S ~string | ~[]byte](dst []byte, s S, raw *[utf8.RuneSelf]bool, marshal bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if raw[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapedByte(dst, c)
			i++
			start = i
			continue
		}
		r, n := decodeRune(s, i)
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, s[start:i]...)
			if marshal {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, "\ufffd"...)
			}
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendEscapedByte escapes one ASCII byte that may not appear raw.
func appendEscapedByte(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// decodeRune decodes the rune at s[i] for either string or []byte without
// converting (and so copying) s.
func decodeRune[S ~string | ~[]byte](s S, i int) (rune, int) {
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s[i:])
	return utf8.DecodeRune(buf[:n])
}

// appendStringOrNull writes null for an empty string.
func appendStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return AppendString(dst, s)
}

// appendFloat writes f in the shortest form that parses back to the same
// value; non-finite values, which JSON cannot carry, become null.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendBool writes true or false.
func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}
