package openaiapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// Request decoding is fastjson's parser followed by a typed walk over its
// tree. fastjson is lenient where a gateway must not be (raw control
// characters, lone surrogates, numbers out of range), so the walk reads
// every kept leaf from the body itself with the strict scanner of scan.go,
// at the offset fastjson's tree points to. That keeps one grammar
// (fastjson's Validate and Parse), one set of decoding rules for strings
// (encoding/json's: invalid UTF-8 and lone surrogates become U+FFFD), and
// the scanner's offset-bearing messages for bodies that fail.

// walker is one decode: a pooled parser and the body it walks.
type walker struct {
	p   fastjson.Parser
	sc  scanner // over the body, for leaves at offsets
	own bool    // raw values may alias sc.body
	// escapes: the body has a backslash, so keys need a strict read
	escapes bool
	delta   uintptr // address in the parser's copy minus offset in the body
	num     [40]byte
}

var walkers = sync.Pool{New: func() any { return new(walker) }}

// DecodeRequest parses the body of POST /v1/chat/completions as the current
// OpenAI SDKs send it. Unknown top-level fields are kept raw in
// ChatRequest.Extra; unknown fields inside messages, parts and tools are
// ignored. A JSON null counts as an absent field; of duplicate members the
// last wins, as with encoding/json.
//
// Every failure is a *gwerr.Error of Kind InvalidRequest whose Param is the
// offending field's path in OpenAI's style (messages[2].role); malformed JSON
// has no Param and takes precedence over any field error. The returned
// request does not alias body: it holds one private copy of it.
func DecodeRequest(body []byte) (*llm.ChatRequest, error) {
	return decode(body, string(body), false)
}

// DecodeOwned is DecodeRequest without the copy: the strings and raw values
// of the returned request alias body, so body must stay unchanged for as
// long as the request (or any string taken from it) is in use. The server
// gives each request a body buffer of its own for this; a pooled buffer
// would need to know when the last hedged attempt let go of the request.
func DecodeOwned(body []byte) (*llm.ChatRequest, error) {
	return decode(body, unsafe.String(unsafe.SliceData(body), len(body)), true)
}

func decode(body []byte, src string, own bool) (*llm.ChatRequest, error) {
	w := walkers.Get().(*walker)
	defer func() { w.sc = scanner{}; walkers.Put(w) }()
	w.sc, w.own, w.delta = scanner{src: src, body: body}, own, 0
	w.escapes = bytes.IndexByte(body, '\\') >= 0
	req, err := w.decode(body)
	if err != nil {
		// A field error found early, or fastjson's offsetless complaint,
		// must not hide a broken body: report what the strict scanner says
		// first, as a single strict pass would have.
		if serr := locate(src, body); serr != nil {
			err = serr
		}
		return nil, toGwerr(err)
	}
	return req, nil
}

// decode parses and walks. fastjson's parser checks the structure; it is
// lenient about the leaves (numbers such as 1-2 or NaN, bad escapes, raw
// control characters), so every leaf is checked strictly where the walk
// reads it, and members it does not model are skipped strictly.
func (w *walker) decode(body []byte) (*llm.ChatRequest, error) {
	if hasControl(body) {
		// Only here can a string hide a raw control character fastjson
		// lets through; SDKs send compact JSON, so this strict pass is for
		// pretty-printed bodies.
		if err := locate(w.sc.src, body); err != nil {
			return nil, err
		}
	}
	root, err := w.p.ParseBytes(body)
	if err != nil {
		// Valid JSON fastjson refuses is nested deeper than it allows.
		return nil, &syntaxError{msg: "nesting too deep", off: 0}
	}
	if root.Type() != fastjson.TypeObject {
		return nil, errNotObject()
	}
	return w.request(root)
}

// locate reports the first syntax error in the body the way the scanner
// words it, or nil when the scanner finds the body valid.
func locate(src string, body []byte) error {
	s := scanner{src: src, body: body}
	switch s.ws() {
	case 0:
		return errEmpty()
	case '{':
		if _, _, err := s.skip(0); err != nil {
			return err
		}
		if s.ws() != 0 {
			return s.fail("unexpected data after the JSON object")
		}
		return nil
	}
	if err := s.document(); err != nil {
		return err
	}
	return errNotObject()
}

func errEmpty() error {
	return &gwerr.Error{Kind: gwerr.InvalidRequest, Message: "the request body is empty"}
}

func errNotObject() error {
	return &gwerr.Error{Kind: gwerr.InvalidRequest, Message: "the request body must be a JSON object"}
}

// hasControl reports whether body holds any byte below 0x20 (tab and
// newline included), eight bytes at a time.
func hasControl(body []byte) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(body); i += 8 {
		// A byte below 0x20 borrows into its high bit, unless that byte is
		// itself >= 0x80 (masked by ^x).
		x := binary.LittleEndian.Uint64(body[i:])
		if (x-0x20*ones)&^x&high != 0 {
			return true
		}
	}
	for _, c := range body[i:] {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// anchor records where the parser's copy of the body lies, from the first
// key of the root object (its offset in the body is found by scanning).
func (w *walker) anchor(key []byte) {
	s := w.sc
	s.pos = 0
	s.ws()
	s.pos++ // '{'
	s.ws()
	w.delta = uintptr(unsafe.Pointer(unsafe.SliceData(key))) - uintptr(s.pos+1)
}

// offset is where b, a string fastjson returned, starts in the body. fastjson
// unescapes in place, so the start of a string never moves.
func (w *walker) offset(b []byte) int {
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - w.delta)
}

// kind names v's JSON type for type-error messages.
func kind(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeString:
		return "a string"
	case fastjson.TypeObject:
		return "an object"
	case fastjson.TypeArray:
		return "an array"
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "a boolean"
	case fastjson.TypeNull:
		return "null"
	}
	return "a number"
}

// text reads the string v from the body: a substring of it unless escapes or
// invalid UTF-8 had to be decoded.
func (w *walker) text(v *fastjson.Value) (string, error) {
	b, _ := v.StringBytes()
	if len(b) == 0 {
		return "", nil
	}
	w.sc.pos = w.offset(b) - 1
	return w.sc.str()
}

// escaped reports whether the string b fastjson returned was unescaped:
// its raw form in the body is not b followed by the closing quote.
func (w *walker) escaped(b []byte) bool {
	off := w.offset(b)
	raw := w.sc.src[off:]
	return len(raw) <= len(b) || raw[len(b)] != '"' || strings.IndexByte(raw[:len(b)], '\\') >= 0
}

// key reads an object key from the body, as text does.
func (w *walker) key(k []byte) (string, error) {
	if len(k) == 0 {
		return "", nil
	}
	w.sc.pos = w.offset(k) - 1
	return w.sc.str()
}

// raw returns the member value after key k verbatim: aliasing the body when
// the request owns it, copied otherwise so no consumer can change another's
// bytes.
func (w *walker) raw(k []byte) (json.RawMessage, error) {
	start, end, err := w.span(k)
	if err != nil {
		return nil, err
	}
	if w.own {
		return json.RawMessage(w.sc.body[start:end:end]), nil
	}
	return json.RawMessage(w.sc.src[start:end]), nil
}

// span finds the member value after key k in the body, checking the key
// and the value strictly.
func (w *walker) span(k []byte) (start, end int, err error) {
	w.sc.pos = w.offset(k) - 1
	if _, err := w.sc.str(); err != nil {
		return 0, 0, err
	}
	w.sc.ws()
	w.sc.pos++ // ':'
	return w.sc.skip(0)
}

// skip checks the member after key k that the walk does not model.
func (w *walker) skip(k []byte) error {
	_, _, err := w.span(k)
	return err
}

// optString reads a string; null reads as "".
func (w *walker) optString(v *fastjson.Value) (string, error) {
	switch v.Type() {
	case fastjson.TypeString:
		return w.text(v)
	case fastjson.TypeNull:
		return "", nil
	}
	return "", typeError("a string", kind(v))
}

// flagOf reads a boolean; null reads as false.
func flagOf(v *fastjson.Value) (bool, error) {
	switch v.Type() {
	case fastjson.TypeTrue:
		return true, nil
	case fastjson.TypeFalse, fastjson.TypeNull:
		return false, nil
	}
	return false, typeError("a boolean", kind(v))
}

// optBoolOf reads an optional boolean.
func optBoolOf(v *fastjson.Value) (*bool, error) {
	if v.Type() == fastjson.TypeNull {
		return nil, nil
	}
	b, err := flagOf(v)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// number returns the text of the number v, or ok false for another type.
func (w *walker) number(v *fastjson.Value) (string, bool) {
	if v.Type() != fastjson.TypeNumber {
		return "", false
	}
	b := v.MarshalTo(w.num[:0])
	return unsafe.String(unsafe.SliceData(b), len(b)), true
}

// checkNumber applies JSON's number grammar, which fastjson's parser does
// not (it takes 1-2, 01, NaN and Inf).
func checkNumber(txt string) error {
	s := scanner{src: txt}
	if _, err := s.number(); err != nil || s.pos != len(txt) {
		return &syntaxError{msg: "invalid number", off: 0}
	}
	return nil
}

// optFloat reads an optional number that must lie in [lo, hi].
func (w *walker) optFloat(v *fastjson.Value, lo, hi float64) (*float64, error) {
	if v.Type() == fastjson.TypeNull {
		return nil, nil
	}
	txt, ok := w.number(v)
	if !ok {
		return nil, typeError("a number", kind(v))
	}
	if err := checkNumber(txt); err != nil {
		return nil, err
	}
	f, err := strconv.ParseFloat(txt, 64)
	if err != nil || math.IsInf(f, 0) || f < lo || f > hi {
		return nil, invalid("", "expected a value between %g and %g, but got %s instead", lo, hi, txt)
	}
	return &f, nil
}

// optInt64 reads an optional integer. A value such as 100.0 is accepted:
// some clients serialise every number as float.
func (w *walker) optInt64(v *fastjson.Value) (*int64, error) {
	if v.Type() == fastjson.TypeNull {
		return nil, nil
	}
	txt, ok := w.number(v)
	if !ok {
		return nil, typeError("an integer", kind(v))
	}
	if err := checkNumber(txt); err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(txt, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(txt, 64)
		if ferr != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
			return nil, invalid("", "expected a 64-bit integer, but got %s instead", txt)
		}
		n = int64(f)
	}
	return &n, nil
}

// optInt reads an optional integer that must be at least lo.
func (w *walker) optInt(v *fastjson.Value, lo int) (*int, error) {
	p, err := w.optInt64(v)
	if p == nil || err != nil {
		return nil, err
	}
	n := int(*p)
	if int64(n) != *p || n < lo {
		txt, _ := w.number(v)
		return nil, invalid("", "expected an integer >= %s, but got %s instead", strconv.Itoa(lo), txt)
	}
	return &n, nil
}

// members calls member for each member of the object v in order, stopping
// at the first error, which it prefixes with the member's key; member must
// read or skip its value. A null reads
// as an empty object; any other type is want's type error.
func (w *walker) members(v *fastjson.Value, want string, member func(key []byte, v *fastjson.Value) error) error {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeObject:
	default:
		return typeError(want, kind(v))
	}
	var err error
	o, _ := v.Object()
	o.Visit(func(key []byte, v *fastjson.Value) {
		if err != nil {
			return
		}
		if e := member(key, v); e != nil {
			err = at(e, string(key))
			return
		}
		if w.escapes && w.escaped(key) {
			// fastjson unescapes keys leniently: read the key strictly
			// (after member, which may have anchored the walk).
			_, err = w.key(key)
		}
	})
	return err
}

// arrayOf reads an optional array (null reads as nil), decoding each
// element with elem and prefixing its errors with the element's index.
// An empty array reads as a non-nil empty slice.
func arrayOf[T any](v *fastjson.Value, elem func(*T, *fastjson.Value) error) ([]T, error) {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil, nil
	case fastjson.TypeArray:
	default:
		return nil, typeError("an array", kind(v))
	}
	a, _ := v.Array()
	out := make([]T, len(a))
	for i, e := range a {
		if err := elem(&out[i], e); err != nil {
			return nil, atIndex(err, i)
		}
	}
	return out, nil
}
