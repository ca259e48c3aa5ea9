package openaiapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// maxDepth bounds nesting; jsontext itself stops at 10000 without
// recursion, and the error pass below reports anything deeper than this.
const maxDepth = 1000

// syntaxError is a JSON grammar violation at a byte offset. DecodeRequest
// turns it into a gwerr InvalidRequest without a Param.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.off) }

// The decoder must take what encoding/json took: later duplicates win and
// invalid UTF-8 reads as U+FFFD.
func jsonOptions() []jsontext.Options {
	return []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}
}

// tokenizer is a jsontext.Decoder reading straight from the body (a
// bytes.Buffer is read in place, so every Value aliases body).
type tokenizer struct {
	dec jsontext.Decoder
	buf bytes.Buffer
}

var tokenizers = sync.Pool{New: func() any { return new(tokenizer) }}

func (t *tokenizer) reset(body []byte) {
	t.buf = *bytes.NewBuffer(body)
	t.dec.Reset(&t.buf, jsonOptions()...)
}

// scanner walks one request body with jsontext, keeping the offsets that
// let strings without escapes be substrings of src (one string copy of the
// whole body, or the body itself for DecodeOwned).
type scanner struct {
	src   string
	body  []byte
	owned bool // src aliases body, so raw values may alias it too
	t     *tokenizer
	base  int // offset of the tokenizer's input in body (after a Rewind)
	last  int // start of the last value read
	pos   int // end of the last value read
}

func newScanner(body []byte) scanner {
	return scannerOver(string(body), body)
}

func scannerOver(src string, body []byte) scanner {
	t := tokenizers.Get().(*tokenizer)
	t.reset(body)
	return scanner{src: src, body: body, t: t}
}

// release hands the tokenizer back; the scanner must not be used after.
func (s *scanner) release() {
	s.t.reset(nil)
	tokenizers.Put(s.t)
	s.t = nil
}

func (s *scanner) at() int { return s.base + int(s.t.dec.InputOffset()) }

// next is the offset of the next value: past whitespace and a ',' or ':'.
func (s *scanner) next() int {
	i := skipWS(s.body, s.at())
	if i < len(s.body) && (s.body[i] == ',' || s.body[i] == ':') {
		i = skipWS(s.body, i+1)
	}
	return i
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// rewind restarts reading at off, the start of a value.
func (s *scanner) rewind(off int) {
	s.t.reset(s.body[off:])
	s.base = off
}

func (s *scanner) fail(msg string) error {
	return &syntaxError{msg: msg, off: skipWS(s.body, s.at())}
}

// ws returns the kind of the next value ('0' for a number, '}' or ']' at
// the end of a container), 0 at the end of the input and '?' when what
// follows is not JSON.
func (s *scanner) ws() byte {
	if k := s.t.dec.PeekKind(); k != 0 {
		return byte(k)
	}
	if skipWS(s.body, s.at()) == len(s.body) {
		return 0
	}
	return '?'
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

// value reads the next value whole and records where it starts.
func (s *scanner) value() (jsontext.Value, error) {
	v, err := s.t.dec.ReadValue()
	if err != nil {
		return nil, s.syntax(err)
	}
	s.pos = s.at()
	s.last = s.pos - len(v)
	return v, nil
}

// null consumes a JSON null if one is next.
func (s *scanner) null() bool {
	if s.ws() != 'n' {
		return false
	}
	_, err := s.value()
	return err == nil
}

// boolean reads true or false; ok is false when the next value is not a boolean.
func (s *scanner) boolean() (v, ok bool) {
	if k := s.ws(); k != 't' && k != 'f' {
		return false, false
	}
	b, err := s.value()
	return err == nil && b[0] == 't', err == nil
}

// object walks the members of the object that is next, calling member
// with each key positioned at its value; member must consume the value.
func (s *scanner) object(member func(key string) error) error {
	if _, err := s.t.dec.ReadToken(); err != nil {
		return s.syntax(err)
	}
	for {
		switch s.ws() {
		case '}':
			_, err := s.t.dec.ReadToken()
			return s.syntax(err)
		case '"':
		default:
			return s.syntax(s.readErr())
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
	}
}

// array walks the elements of the array that is next, calling elem with
// each index; elem must consume the element.
func (s *scanner) array(elem func(i int) error) error {
	if _, err := s.t.dec.ReadToken(); err != nil {
		return s.syntax(err)
	}
	for i := 0; ; i++ {
		switch s.ws() {
		case ']':
			_, err := s.t.dec.ReadToken()
			return s.syntax(err)
		case 0, '?':
			return s.syntax(s.readErr())
		}
		if err := elem(i); err != nil {
			return err
		}
	}
}

// readErr is the error the tokenizer holds after a failed peek.
func (s *scanner) readErr() error {
	_, err := s.t.dec.ReadToken()
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// str reads the string that is next. Invalid UTF-8 and lone surrogates
// become U+FFFD, as encoding/json does.
func (s *scanner) str() (string, error) {
	v, err := s.value()
	if err != nil {
		return "", err
	}
	if bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		return s.src[s.last+1 : s.last+len(v)-1], nil
	}
	b, _ := jsontext.AppendUnquote(nil, v) // v is valid: only UTF-8 is repaired
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

// number reads a JSON number and returns its text.
func (s *scanner) number() (string, error) {
	v, err := s.value()
	if err != nil {
		return "", err
	}
	return s.src[s.last : s.last+len(v)], nil
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
func (s *scanner) skip(int) (start, end int, err error) {
	v, err := s.value()
	if err != nil {
		return 0, 0, err
	}
	return s.last, s.last + len(v), nil
}

// rawValue consumes a value and returns a private copy of its bytes.
func (s *scanner) rawValue() ([]byte, error) {
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

// syntax turns a jsontext error into this package's message for the
// first fault in the body; nil stays nil.
func (s *scanner) syntax(err error) error {
	if err == nil {
		return nil
	}
	if verr := validate(s.body, "unexpected data after the JSON value"); verr != nil {
		return verr
	}
	return err
}

// validate checks that body is exactly one JSON value, reading it token by
// token so that the fault can be named by where it is; trailing names the
// fault of anything after the value.
func validate(body []byte, trailing string) error {
	var t tokenizer
	t.reset(body)
	d := &t.dec
	for {
		if d.StackDepth() > maxDepth {
			return &syntaxError{msg: "nesting too deep", off: int(d.InputOffset())}
		}
		_, err := d.ReadToken()
		var se *jsontext.SyntacticError
		if errors.As(err, &se) {
			return &syntaxError{msg: describe(body, d, se), off: int(se.ByteOffset)}
		}
		if err != nil {
			return err
		}
		if d.StackDepth() == 0 {
			if i := skipWS(body, int(d.InputOffset())); i != len(body) {
				return &syntaxError{msg: trailing, off: i}
			}
			return nil
		}
	}
}

// describe names a jsontext fault the way the hand-written scanner did.
func describe(body []byte, d *jsontext.Decoder, se *jsontext.SyntacticError) string {
	msg := se.Err.Error()
	depth := d.StackDepth()
	k, n := d.StackIndex(depth)
	// prev is the last byte before the fault (jsontext points at a stray
	// ',' itself, the scanner at what follows it).
	off, prev := int(se.ByteOffset), byte(0)
	if off < len(body) && body[off] == ',' {
		off++
	}
	if i := bytes.LastIndexFunc(body[:off], func(r rune) bool { return !strings.ContainsRune(" \t\r\n", r) }); i >= 0 {
		prev = body[i]
	}
	rest := body[skipWS(body, int(d.InputOffset())):]
	if len(rest) > 0 && (rest[0] == ',' || rest[0] == ':') {
		rest = rest[skipWS(rest, 1):]
	}
	switch {
	case strings.Contains(msg, "exceeded max depth"):
		return "nesting too deep"
	case strings.Contains(msg, "control character"):
		return "control character in string"
	case strings.Contains(msg, "escape sequence `\\u"):
		return `invalid \u escape`
	case strings.Contains(msg, "escape sequence"):
		return "invalid escape in string"
	case strings.Contains(msg, "in number"):
		return "invalid number"
	case errors.Is(se.Err, io.ErrUnexpectedEOF) && len(rest) > 0 && rest[0] == '"':
		return "unterminated string"
	case strings.Contains(msg, "after object value"):
		return "expected ',' or '}' after object member"
	case strings.Contains(msg, "after array element"):
		return "expected ',' or ']' after array element"
	case strings.Contains(msg, "after object name"), k == '{' && n%2 == 1 && prev != ':':
		return "expected ':' after object key"
	case strings.Contains(msg, "name must be a string"), k == '{' && n%2 == 0 && (prev == '{' || prev == ','):
		return "expected a string object key"
	case k == '{' && n%2 == 0:
		return "expected ',' or '}' after object member"
	case k == '[' && prev != '[' && prev != ',':
		return "expected ',' or ']' after array element"
	case errors.Is(se.Err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	}
	return "invalid value"
}
