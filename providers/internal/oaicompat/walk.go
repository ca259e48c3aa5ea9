package oaicompat

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// The helpers below read one value each the way encoding/json would into
// the field of decodeReflect's wire types it stands for, and set d.bad
// instead whenever that read could differ from encoding/json's, leaving
// the body to decodeReflect. A null leaves a field as it was, as in
// encoding/json.

// field names one member of a wire object, the union over all of them.
type field uint8

const (
	fNone field = iota
	fID
	fCreated
	fModel
	fChoices
	fUsage
	fError
	fIndex
	fMessage
	fFinishReason
	fRole
	fContent
	fToolCalls
	fFunction
	fName
	fArguments
	fPromptTokens
	fCompletionTokens
	fTotalTokens
	fCost
	fPromptTokensDetails
	fCachedTokens
	fType
	fText
)

// fieldSet is the fields one object has set, to catch a repeated key.
type fieldSet uint32

type fieldName struct {
	name string
	f    field
}

// One table per wire type, with the JSON names of its fields.
var (
	responseFields = []fieldName{{"id", fID}, {"created", fCreated}, {"model", fModel},
		{"choices", fChoices}, {"usage", fUsage}, {"error", fError}}
	choiceFields   = []fieldName{{"index", fIndex}, {"message", fMessage}, {"finish_reason", fFinishReason}}
	messageFields  = []fieldName{{"role", fRole}, {"content", fContent}, {"tool_calls", fToolCalls}}
	toolCallFields = []fieldName{{"id", fID}, {"function", fFunction}}
	functionFields = []fieldName{{"name", fName}, {"arguments", fArguments}}
	usageFields    = []fieldName{{"prompt_tokens", fPromptTokens}, {"completion_tokens", fCompletionTokens},
		{"total_tokens", fTotalTokens}, {"cost", fCost}, {"prompt_tokens_details", fPromptTokensDetails}}
	detailsFields = []fieldName{{"cached_tokens", fCachedTokens}}
	partFields    = []fieldName{{"type", fType}, {"text", fText}}
)

// field returns the field key names in table, fNone for a key the wire
// type does not have. encoding/json also takes a key that matches a name
// only case-insensitively (with Unicode folding: "ID", "ſ" for "s"), and
// merges or overwrites on a repeated key; both leave the body to
// decodeReflect. fastjson has unescaped key already; for these ASCII names
// its best-effort unescaping matches exactly when encoding/json's does
// (they differ only where a bad surrogate escape becomes U+FFFD in one and
// stays literal in the other, and neither matches a name).
func (d *decoder) field(seen *fieldSet, key []byte, table []fieldName) field {
	for _, fn := range table {
		if string(key) == fn.name {
			bit := fieldSet(1) << fn.f
			if *seen&bit != 0 {
				d.bad = true
				return fNone
			}
			*seen |= bit
			return fn.f
		}
	}
	if !plainKey(key) {
		for _, fn := range table {
			if bytes.EqualFold(key, []byte(fn.name)) {
				d.bad = true
				return fNone
			}
		}
	}
	return fNone
}

// plainKey reports whether key is lower-case ASCII without a backslash:
// such a key folds to a table's lower-case names only by being equal.
func plainKey(key []byte) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf || c == '\\' || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

var (
	objectText = []byte("{")
	arrayText  = []byte("[")
)

// scalar returns v's JSON text as the body wrote it: a string with its
// quotes and escapes (fastjson unescapes a string only when asked for its
// type or bytes, and best-effort, so the text is taken first), a number,
// true, false or null; "{" or "[" alone for an object or an array. The
// result is valid until the next call.
func (d *decoder) scalar(v *fastjson.Value) []byte {
	if v.GetObject() != nil {
		return objectText
	}
	if v.GetArray() != nil {
		return arrayText
	}
	d.raw = v.MarshalTo(d.raw[:0]) // "[]" for an empty array
	return d.raw
}

// object reports whether v is an object; anything but an object or null
// is a wrong type.
func (d *decoder) object(v *fastjson.Value) bool {
	if v.GetObject() != nil {
		return true
	}
	if d.scalar(v)[0] != 'n' {
		d.bad = true
	}
	return false
}

// array returns v's items if v is an array; null is not one, anything
// else is a wrong type.
func (d *decoder) array(v *fastjson.Value) ([]*fastjson.Value, bool) {
	if a := v.GetArray(); a != nil {
		return a, true
	}
	switch d.scalar(v)[0] {
	case '[':
		return nil, true
	case 'n':
	default:
		d.bad = true
	}
	return nil, false
}

// str returns a string member's value, prev for null.
func (d *decoder) str(v *fastjson.Value, prev string) string {
	return d.strOf(d.scalar(v), prev)
}

// strOf is str for the text scalar returned.
func (d *decoder) strOf(raw []byte, prev string) string {
	switch raw[0] {
	case '"':
		body := raw[1 : len(raw)-1]
		if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
			return string(body)
		}
		var ok bool
		if d.buf, ok = appendUnquoted(d.buf[:0], body); !ok {
			d.bad = true
		}
		return string(d.buf)
	case 'n':
		return prev
	}
	d.bad = true
	return prev
}

// strBytes is str for a value only looked at: nil for null, else the
// unescaped bytes, valid until the next call.
func (d *decoder) strBytes(v *fastjson.Value) []byte {
	raw := d.scalar(v)
	switch raw[0] {
	case '"':
		var ok bool
		if d.buf, ok = appendUnquoted(d.buf[:0], raw[1:len(raw)-1]); !ok {
			d.bad = true
		}
		return d.buf
	case 'n':
		return nil
	}
	d.bad = true
	return nil
}

// int64 reads an integer member, prev for null. encoding/json takes only
// what strconv.ParseInt does (no fraction or exponent, even 1.0 or 1e2,
// nothing beyond int64); so does this.
func (d *decoder) int64(v *fastjson.Value, prev int64) int64 {
	raw := d.scalar(v)
	if raw[0] == 'n' {
		return prev
	}
	n, ok := parseInt(raw)
	if !ok {
		d.bad = true
		return prev
	}
	return n
}

// int is int64 for an int field, which must also fit int.
func (d *decoder) int(v *fastjson.Value) int {
	n := d.int64(v, 0)
	if int64(int(n)) != n {
		d.bad = true
	}
	return int(n)
}

// float reads a *float64 member: ok is false for null.
func (d *decoder) float(v *fastjson.Value) (f float64, ok bool) {
	raw := d.scalar(v)
	switch c := raw[0]; {
	case c == 'n':
		return 0, false
	case c == '-' || '0' <= c && c <= '9':
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil { // out of range, as for encoding/json
			d.bad = true
		}
		return f, true
	}
	d.bad = true
	return 0, false
}

// parseInt parses a validated JSON number as strconv.ParseInt(s, 10, 64)
// would, without making a string of it.
func parseInt(b []byte) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' || u > (1<<63)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
		if u > 1<<63 {
			return 0, false
		}
	}
	if !neg {
		if u > 1<<63-1 {
			return 0, false
		}
		return int64(u), true
	}
	return -int64(u), true // -(1<<63) wraps to itself, as it should
}

// appendUnquoted appends the JSON string s (between its quotes, validated
// by fastjson.Validate) unescaped as encoding/json does. It returns false
// for the two cases where encoding/json substitutes U+FFFD and this does
// not try to: bytes that are not UTF-8, and a \u escape of a surrogate
// that is not the first half of a valid pair.
func appendUnquoted(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				return dst, false
			}
			dst = append(dst, s[i:i+n]...)
			i += n
			continue
		}
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i:])
			i += 4
			if utf16.IsSurrogate(r) {
				if len(s) < i+6 || s[i] != '\\' || s[i+1] != 'u' {
					return dst, false
				}
				r = utf16.DecodeRune(r, hex4(s[i+2:]))
				if r == utf8.RuneError {
					return dst, false
				}
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
	}
	return dst, true
}

// ctlInString reports whether a string in the valid JSON text b holds a
// control character, which JSON and encoding/json forbid. A body without
// any (compact JSON, the usual answer) is cleared eight bytes at a time;
// one with line breaks between its tokens is walked string by string.
func ctlInString(b []byte) bool {
	if !hasCtl(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return false
		}
		for i += j + 1; i < len(b) && b[i] != '"'; i++ {
			switch c := b[i]; {
			case c == '\\':
				i++
			case c < 0x20:
				return true
			}
		}
	}
	return false
}

// hasCtl reports whether b holds a byte below 0x20. For eight bytes x,
// (x - 0x20 in each byte) &^ x has a byte's top bit set only if some byte
// of x is below 0x20 (a borrow can mark the wrong byte, never a clean
// word).
func hasCtl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if (x-0x20*ones)&^x&highs != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// hex4 decodes four validated hex digits.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
