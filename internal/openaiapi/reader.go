package openaiapi

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Reader exposes this package's strict scanner, typed value readers and
// param-path errors to other inbound OpenAI dialects (internal/responsesapi),
// so windrose has one JSON stack for untrusted bodies. The rules are those of
// DecodeRequest: a JSON null reads as absent, errors from the typed readers
// carry a relative param that callers prefix with At and AtIndex, and Done
// turns whatever went wrong into the client-facing *gwerr.Error.
type Reader struct {
	d    decoder
	body []byte
}

// NewReader returns a Reader over body. Strings it returns may alias body's
// copy but never body itself.
func NewReader(body []byte) *Reader {
	return &Reader{d: decoder{newScanner(body)}, body: body}
}

// Peek skips whitespace and returns the next byte, 0 at the end.
func (r *Reader) Peek() byte { return r.d.ws() }

// Kind names the JSON type of the next value ("a string", "an object"…).
func (r *Reader) Kind() string { return r.d.kind() }

// Null consumes a null if one is next.
func (r *Reader) Null() bool { return r.d.null() }

// Object walks the object at the cursor (Peek must be '{'); member gets each
// key positioned at its value and must consume it.
func (r *Reader) Object(member func(key string) error) error { return r.d.object(member) }

// Array walks the array at the cursor (Peek must be '['); elem must consume
// element i.
func (r *Reader) Array(elem func(i int) error) error { return r.d.array(elem) }

// String reads a string (null reads as "").
func (r *Reader) String() (string, error) { return r.d.string() }

// Flag reads a boolean (null reads as false).
func (r *Reader) Flag() (bool, error) { return r.d.flag() }

// OptBool reads an optional boolean.
func (r *Reader) OptBool() (*bool, error) { return r.d.optBool() }

// OptFloat reads an optional number in [lo, hi].
func (r *Reader) OptFloat(lo, hi float64) (*float64, error) { return r.d.optFloat(lo, hi) }

// OptInt reads an optional integer >= lo.
func (r *Reader) OptInt(lo int) (*int, error) { return r.d.optInt(lo) }

// Metadata reads an object of strings.
func (r *Reader) Metadata() (map[string]string, error) { return r.d.metadata() }

// OptObject reads an optional object verbatim (a JSON Schema).
func (r *Reader) OptObject() (json.RawMessage, error) { return r.d.optObject() }

// Skip consumes and validates one value of any type.
func (r *Reader) Skip() error { _, _, err := r.d.skip(0); return err }

// Detail checks an image detail value the way chat content parts do.
func Detail(detail string) error {
	switch detail {
	case "", "auto", "low", "high":
		return nil
	}
	return Invalid("", "unsupported detail '%s'; expected 'auto', 'low' or 'high'", detail)
}

// Mark returns the cursor's position, for Rewind.
func (r *Reader) Mark() int { return r.d.pos }

// Rewind moves the cursor back to a position Mark returned.
func (r *Reader) Rewind(pos int) { r.d.pos = pos }

// End reports an error unless only whitespace is left.
func (r *Reader) End() error {
	if r.d.ws() != 0 {
		return r.d.fail("unexpected data after the JSON object")
	}
	return nil
}

// Done turns a decode failure into the client-facing error, as DecodeRequest
// does: a field error found early must not hide a broken body, so the whole
// document is validated first and a syntax error wins. A nil err stays nil.
func (r *Reader) Done(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*fieldError); ok {
		v := scanner{src: r.d.src, body: r.body}
		if verr := v.document(); verr != nil {
			err = verr
		}
	}
	return toGwerr(err)
}

// ArrayOf reads an optional array (null reads as nil) with elem, prefixing
// each element's errors with its index.
func ArrayOf[T any](r *Reader, out []T, elem func(*T) error) ([]T, error) {
	return arrayOf(&r.d, out, elem)
}

// TypeError is a field of the wrong JSON type.
func TypeError(want, got string) error { return typeError(want, got) }

// Missing is an absent required field.
func Missing(param string) error { return missing(param) }

// Invalid is a field with a wrong value.
func Invalid(param, format string, args ...any) error { return invalid(param, format, args...) }

// At prefixes a field error's param with the member name seg.
func At(err error, seg string) error { return at(err, seg) }

// AtIndex prefixes a field error's param with an array index.
func AtIndex(err error, i int) error { return atIndex(err, i) }

// Unsupported is a parameter windrose understands but refuses (no
// deployment behind it can honour it): a 400 with code
// "unsupported_parameter" whose param grows like any field error's.
func Unsupported(param, format string, args ...any) error {
	return &fieldError{kind: errUnsupported, param: param, detail: fmt.Sprintf(format, args...), code: "unsupported_parameter"}
}

// Unknown is a member the endpoint does not know: a 400 with code
// "unknown_parameter".
func Unknown(param string) error {
	return &fieldError{kind: errUnsupported, param: param, detail: "unrecognized request argument", code: "unknown_parameter"}
}

// AppendBytes appends b as a JSON string literal, like AppendString.
func AppendBytes(dst, b []byte) []byte { return appendJSONString(dst, b) }

// AppendFloat appends f in its shortest round-tripping form (null when not
// finite).
func AppendFloat(dst []byte, f float64) []byte { return appendFloat(dst, f) }

// AppendInt appends n.
func AppendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
