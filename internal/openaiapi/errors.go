package openaiapi

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// Kinds of fieldError, rendered into OpenAI-like messages.
const (
	errType = iota
	errMissing
	errValue
	errUnsupported
)

// fieldError is a semantic problem with one field. Its param is relative to
// the value being decoded and grows a prefix at each level it bubbles
// through (at, atIndex), so the full path is built only on the error path.
type fieldError struct {
	kind   int
	param  string
	detail string // errType: the expected type; errValue: what is wrong
	got    string // errType: the JSON type found
	code   string // the envelope's code, when not null
}

func (e *fieldError) Error() string { return e.message() }

func (e *fieldError) message() string {
	switch e.kind {
	case errType:
		return fmt.Sprintf("invalid type for '%s': expected %s, but got %s instead", e.param, e.detail, e.got)
	case errMissing:
		return fmt.Sprintf("missing required parameter: '%s'", e.param)
	case errUnsupported:
		return fmt.Sprintf("unsupported parameter '%s': %s", e.param, e.detail)
	}
	return fmt.Sprintf("invalid value for '%s': %s", e.param, e.detail)
}

func typeError(want, got string) error { return &fieldError{kind: errType, detail: want, got: got} }

func missing(param string) error { return &fieldError{kind: errMissing, param: param} }

func invalid(param, format string, args ...any) error {
	return &fieldError{kind: errValue, param: param, detail: fmt.Sprintf(format, args...)}
}

// at prefixes a field error's param with the member name seg. Other errors
// (syntax errors) pass through unchanged.
func at(err error, seg string) error {
	// Field errors are never wrapped, so a type assertion is enough.
	fe, ok := err.(*fieldError)
	if !ok {
		return err
	}
	switch {
	case fe.param == "":
		fe.param = seg
	case fe.param[0] == '[':
		fe.param = seg + fe.param
	default:
		fe.param = seg + "." + fe.param
	}
	return err
}

// atIndex prefixes a field error's param with an array index.
func atIndex(err error, i int) error {
	fe, ok := err.(*fieldError)
	if !ok {
		return err
	}
	idx := "[" + strconv.Itoa(i) + "]"
	if fe.param == "" || fe.param[0] == '[' {
		fe.param = idx + fe.param
	} else {
		fe.param = idx + "." + fe.param
	}
	return err
}

// toGwerr turns a decode failure into the client-facing error.
func toGwerr(err error) *gwerr.Error {
	var fe *fieldError
	var se *syntaxError
	switch {
	case errors.As(err, &fe):
		return &gwerr.Error{Kind: gwerr.InvalidRequest, Message: fe.message(), Param: fe.param, Code: fe.code}
	case errors.As(err, &se):
		return &gwerr.Error{Kind: gwerr.InvalidRequest,
			Message: "the request body is not valid JSON: " + se.Error()}
	}
	var ge *gwerr.Error
	if errors.As(err, &ge) {
		return ge
	}
	return &gwerr.Error{Kind: gwerr.InvalidRequest, Message: err.Error()}
}

// internalMessage replaces the text of Internal errors: whatever went wrong
// inside windrose is for the logs, not for the client.
const internalMessage = "the server had an error while processing your request"

// AppendError appends OpenAI's error envelope for err:
// {"error":{"message","type","param","code"}}, with param and code null when
// empty. The type comes from gwerr.OpenAIType. A nil err or one of Kind
// Internal gets a fixed message, so no cause text ever reaches a client.
func AppendError(dst []byte, err error) []byte {
	msg, param, code := internalMessage, "", ""
	if err != nil {
		e := gwerr.As(err)
		if e.Kind != gwerr.Internal {
			msg, param, code = e.Message, e.Param, e.Code
		}
	}
	dst = append(dst, `{"error":{"message":`...)
	dst = AppendString(dst, msg)
	dst = append(dst, `,"type":`...)
	dst = AppendString(dst, gwerr.OpenAIType(err))
	dst = append(dst, `,"param":`...)
	dst = appendStringOrNull(dst, param)
	dst = append(dst, `,"code":`...)
	dst = appendStringOrNull(dst, code)
	return append(dst, "}}"...)
}

// AppendStreamError appends the error envelope as one SSE data event, the
// way a stream that fails after its first byte ends. The official SDKs
// recognise a data event with a top-level "error" member and stop the
// stream with an error (openai-go v3: ssestream.Stream.Next returns false
// and Err() is a *ssestream.StreamError carrying the raw event).
func AppendStreamError(dst []byte, err error) []byte {
	dst = append(dst, "data: "...)
	dst = AppendError(dst, err)
	return append(dst, "\n\n"...)
}
