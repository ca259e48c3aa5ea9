package openaiapi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting inside skipped values (tool schemas, Extra) so a
// hostile body cannot exhaust the stack.
const maxDepth = 1000

// syntaxError is a JSON grammar violation at a byte offset. DecodeRequest
// turns it into a gwerr InvalidRequest without a Param.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.off) }

// scanner is a strict, single-pass JSON reader over one request body.
//
// Strings without escapes or invalid UTF-8 are returned as substrings of src
// (one string copy of the whole body, or the body itself for DecodeOwned),
// so decoding a typical request makes
// only a handful of allocations. Raw values (tool schemas, Extra) are copied
// one by one so no consumer can change another's bytes.
type scanner struct {
	src  string
	body []byte // the same bytes as src, read for eight-byte loads
	pos  int
	// owned: src aliases body, which the request owns (DecodeOwned), so raw
	// values may alias it too instead of being copied.
	owned bool
}

func newScanner(body []byte) scanner {
	return scanner{src: string(body), body: body}
}

func (s *scanner) fail(msg string) error {
	return &syntaxError{msg: msg, off: s.pos}
}

// ws skips JSON whitespace and returns the next byte, or 0 at the end.
func (s *scanner) ws() byte {
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

// kind names the JSON type of the next value, for type-error messages.
func (s *scanner) kind() string {
	switch s.ws() {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// null consumes a JSON null if one is next.
func (s *scanner) null() bool {
	if s.ws() == 'n' && strings.HasPrefix(s.src[s.pos:], "null") {
		s.pos += 4
		return true
	}
	return false
}

// boolean reads true or false; ok is false when the next value is not a boolean.
func (s *scanner) boolean() (v, ok bool) {
	rest := s.src[s.pos:]
	switch {
	case strings.HasPrefix(rest, "true"):
		s.pos += 4
		return true, true
	case strings.HasPrefix(rest, "false"):
		s.pos += 5
		return false, true
	}
	return false, false
}

// object walks the members of the object that starts at the next byte and
// calls member with each key, positioned at its value; member must consume
// the value. The caller has checked that the next byte is '{'.
func (s *scanner) object(member func(key string) error) error {
	s.pos++ // '{'
	if s.ws() == '}' {
		s.pos++
		return nil
	}
	for {
		if s.ws() != '"' {
			return s.fail("expected a string object key")
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if s.ws() != ':' {
			return s.fail("expected ':' after object key")
		}
		s.pos++
		if s.ws() == 0 {
			return s.fail("unexpected end of input")
		}
		if err := member(key); err != nil {
			return err
		}
		switch s.ws() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail("expected ',' or '}' after object member")
		}
	}
}

// array walks the elements of the array that starts at the next byte,
// calling elem with each index; elem must consume the element.
func (s *scanner) array(elem func(i int) error) error {
	s.pos++ // '['
	if s.ws() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if s.ws() == 0 {
			return s.fail("unexpected end of input")
		}
		if err := elem(i); err != nil {
			return err
		}
		switch s.ws() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.fail("expected ',' or ']' after array element")
		}
	}
}

// str reads the string that starts at the next byte ('"' already checked).
// Invalid UTF-8 and lone surrogates become U+FFFD, as encoding/json does.
func (s *scanner) str() (string, error) {
	start := s.pos + 1
	for i := start; i < len(s.src); {
		// Skip eight plain ASCII bytes at a time; most of a request is
		// prose and identifiers, where this is the whole cost.
		if i+8 <= len(s.body) && plain8(s.body[i:i+8]) {
			i += 8
			continue
		}
		c := s.src[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return s.src[start:i], nil
		case c == '\\':
			return s.strSlow(start, i)
		case c < 0x20:
			s.pos = i
			return "", s.fail("control character in string")
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRuneInString(s.src[i:])
			if r == utf8.RuneError && n == 1 {
				return s.strSlow(start, i)
			}
			i += n
		}
	}
	s.pos = len(s.src)
	return "", s.fail("unterminated string")
}

// plain8 reports whether none of the eight bytes of w needs attention
// inside a string: no '"', no '\\', no control character, no non-ASCII byte.
// It tests all eight at once with the classic SWAR "has byte" tricks; each
// test is exact about whether any byte matches, which is all we need.
func plain8(w []byte) bool {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	x := binary.LittleEndian.Uint64(w)
	q := x ^ '"'*ones
	b := x ^ '\\'*ones
	bad := x | ((x - 0x20*ones) & ^x) | ((q - ones) & ^q) | ((b - ones) & ^b)
	return bad&high == 0
}

// strSlow finishes a string that needs unescaping or UTF-8 repair; src[start:i]
// is already known to be plain.
func (s *scanner) strSlow(start, i int) (string, error) {
	var b strings.Builder
	b.Grow(i - start + 16)
	b.WriteString(s.src[start:i])
	for i < len(s.src) {
		c := s.src[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return b.String(), nil
		case c == '\\':
			n, err := s.escape(&b, i)
			if err != nil {
				return "", err
			}
			i += n
		case c < 0x20:
			s.pos = i
			return "", s.fail("control character in string")
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s.src[i:])
			b.WriteRune(r) // RuneError for invalid bytes: U+FFFD
			i += n
		}
	}
	s.pos = len(s.src)
	return "", s.fail("unterminated string")
}

// escape decodes the escape sequence at src[i] into b and returns its length.
func (s *scanner) escape(b *strings.Builder, i int) (int, error) {
	if i+1 >= len(s.src) {
		s.pos = i
		return 0, s.fail("unterminated string")
	}
	switch c := s.src[i+1]; c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, ok := hex4(s.src[i+2:])
		if !ok {
			s.pos = i
			return 0, s.fail(`invalid \u escape`)
		}
		if utf16.IsSurrogate(r) {
			// A valid pair is one rune; anything else is U+FFFD and the
			// following escape, if any, is decoded on its own.
			if rest := s.src[i+6:]; strings.HasPrefix(rest, `\u`) {
				if r2, ok := hex4(rest[2:]); ok {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b.WriteRune(dec)
						return 12, nil
					}
				}
			}
			r = utf8.RuneError
		}
		b.WriteRune(r)
		return 6, nil
	default:
		s.pos = i
		return 0, s.fail("invalid escape in string")
	}
	return 2, nil
}

// hex4 parses four hex digits at the start of s.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number scans a JSON number and returns its text.
func (s *scanner) number() (string, error) {
	start, i := s.pos, s.pos
	src := s.src
	if i < len(src) && src[i] == '-' {
		i++
	}
	switch {
	case i < len(src) && src[i] == '0':
		i++
	case i < len(src) && src[i] >= '1' && src[i] <= '9':
		i = digits(src, i)
	default:
		return "", s.fail("invalid value")
	}
	if i < len(src) && src[i] == '.' {
		j := digits(src, i+1)
		if j == i+1 {
			s.pos = j
			return "", s.fail("invalid number")
		}
		i = j
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		j := digits(src, i)
		if j == i {
			s.pos = j
			return "", s.fail("invalid number")
		}
		i = j
	}
	s.pos = i
	return src[start:i], nil
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// errRange marks a syntactically valid number that float64 cannot hold.
var errRange = errors.New("number out of range")

// float reads a number as float64.
func (s *scanner) float() (float64, error) {
	txt, err := s.number()
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(txt, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, errRange
	}
	return f, nil
}

// integer reads a number that must be integral and fit an int64. A value
// such as 100.0 is accepted: some clients serialise every number as float.
func (s *scanner) integer() (int64, error) {
	txt, err := s.number()
	if err != nil {
		return 0, err
	}
	if n, err := strconv.ParseInt(txt, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(txt, 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, errRange
	}
	return int64(f), nil
}

// skip consumes any JSON value, validating it, and returns its byte span.
func (s *scanner) skip(depth int) (start, end int, err error) {
	if depth > maxDepth {
		return 0, 0, s.fail("nesting too deep")
	}
	start = s.pos
	switch c := s.ws(); {
	case c == '"':
		_, err = s.str()
	case c == '{':
		err = s.object(func(string) error { _, _, err := s.skip(depth + 1); return err })
	case c == '[':
		err = s.array(func(int) error { _, _, err := s.skip(depth + 1); return err })
	case c == 'n':
		if !s.null() {
			err = s.fail("invalid value")
		}
	case c == 't' || c == 'f':
		if _, ok := s.boolean(); !ok {
			err = s.fail("invalid value")
		}
	default:
		_, err = s.number()
	}
	return start, s.pos, err
}

// rawValue consumes a value and returns a private copy of its bytes.
func (s *scanner) rawValue() ([]byte, error) {
	s.ws()
	start, end, err := s.skip(0)
	if err != nil {
		return nil, err
	}
	if s.owned {
		// Capped, so an append by a consumer cannot write over the body.
		return s.body[start:end:end], nil
	}
	return []byte(s.src[start:end]), nil
}
