// Package openaiapi translates between OpenAI's chat-completions wire format
// and windrose's neutral llm types: it decodes client requests, encodes
// answers, stream chunks and error envelopes for clients, and encodes
// requests for OpenAI-compatible upstreams.
//
// Everything here sits on the hot path. Decoding is a strict single-pass
// scanner written for this one document shape (see scan.go); encoding is
// append-style into caller-owned buffers with no reflection, so a stream
// chunk costs no allocation once the caller's buffer has grown.
package openaiapi

import (
	"encoding/json"
	"strings"
	"unsafe"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// decoder turns one request body into an llm.ChatRequest.
type decoder struct {
	scanner
}

// DecodeRequest parses the body of POST /v1/chat/completions as the current
// OpenAI SDKs send it. Unknown top-level fields are kept raw in
// ChatRequest.Extra; unknown fields inside messages, parts and tools are
// ignored. A JSON null counts as an absent field.
//
// Every failure is a *gwerr.Error of Kind InvalidRequest whose Param is the
// offending field's path in OpenAI's style (messages[2].role); malformed JSON
// has no Param and takes precedence over any field error. The returned
// request does not alias body.
func DecodeRequest(body []byte) (*llm.ChatRequest, error) {
	return decode(body, newScanner(body))
}

// DecodeOwned is DecodeRequest without the copy: the strings and raw values
// of the returned request alias body (except the model name and user, which
// may outlive the request as map keys and labels and are cloned, so they do
// not pin the body). The caller hands body over: it must never change or
// reuse it, so a pooled buffer will not do; the garbage collector then
// keeps body alive exactly as long as something still refers to the
// request, however long a hedged or abandoned attempt holds it.
func DecodeOwned(body []byte) (*llm.ChatRequest, error) {
	s := scanner{src: unsafe.String(unsafe.SliceData(body), len(body)), body: body, owned: true}
	req, err := decode(body, s)
	if err != nil {
		return nil, err
	}
	req.Model, req.User = strings.Clone(req.Model), strings.Clone(req.User)
	return req, nil
}

func decode(body []byte, s scanner) (*llm.ChatRequest, error) {
	d := decoder{s}
	req, err := d.request()
	if err == nil {
		return req, nil
	}
	if _, ok := err.(*fieldError); ok {
		// A field error found early must not hide a broken body: report
		// what a strict parser would have said first.
		v := scanner{src: d.src, body: body}
		if verr := v.document(); verr != nil {
			err = verr
		}
	}
	return nil, toGwerr(err)
}

// document validates that src is exactly one JSON value.
func (s *scanner) document() error {
	if _, _, err := s.skip(0); err != nil {
		return err
	}
	if s.ws() != 0 {
		return s.fail("unexpected data after the JSON value")
	}
	return nil
}

// request decodes the top-level object.
func (d *decoder) request() (*llm.ChatRequest, error) {
	switch d.ws() {
	case 0:
		return nil, &gwerr.Error{Kind: gwerr.InvalidRequest, Message: "the request body is empty"}
	case '{':
	default:
		if err := d.document(); err != nil {
			return nil, err
		}
		return nil, &gwerr.Error{Kind: gwerr.InvalidRequest, Message: "the request body must be a JSON object"}
	}
	r := &llm.ChatRequest{}
	var tf topFields
	err := d.object(func(key string) error { return at(d.field(r, &tf, key), key) })
	if err != nil {
		return nil, err
	}
	if d.ws() != 0 {
		return nil, d.fail("unexpected data after the JSON object")
	}
	return r, tf.finish(r)
}

// topFields are top-level values that are only resolved once the whole
// object has been read (the order of members is free).
type topFields struct {
	maxTokens, maxCompletionTokens *int
	messagesSet                    bool
	includeUsage                   bool
	functions                      []llm.Tool      // legacy "functions"
	functionCall                   *llm.ToolChoice // legacy "function_call"
}

func (tf *topFields) finish(r *llm.ChatRequest) error {
	if r.Model == "" {
		return missing("model")
	}
	if !tf.messagesSet {
		return missing("messages")
	}
	if len(r.Messages) == 0 {
		return invalid("messages", "empty array; expected at least one message")
	}
	// max_completion_tokens is OpenAI's newer name; when a client sends
	// both, it is the one the current API honours.
	r.MaxTokens = tf.maxTokens
	if tf.maxCompletionTokens != nil {
		r.MaxTokens = tf.maxCompletionTokens
	}
	// OpenAI only accepts stream_options with stream; keeping the flag
	// only then means a re-encoded request says the same thing.
	r.IncludeUsage = tf.includeUsage && r.Stream
	if r.Tools == nil {
		r.Tools = tf.functions
	}
	if r.ToolChoice == nil {
		r.ToolChoice = tf.functionCall
	}
	return linkLegacyCalls(r.Messages)
}

// field decodes one top-level member into r.
func (d *decoder) field(r *llm.ChatRequest, tf *topFields, key string) (err error) {
	switch key {
	case "model":
		r.Model, err = d.string()
	case "messages":
		r.Messages, err = d.messages()
		tf.messagesSet = r.Messages != nil
	case "tools":
		r.Tools, err = d.tools()
	case "tool_choice":
		r.ToolChoice, err = d.toolChoice()
	case "functions":
		tf.functions, err = arrayOf(d, []llm.Tool(nil), d.legacyFunction)
	case "function_call":
		tf.functionCall, err = d.functionCall()
	case "parallel_tool_calls":
		r.ParallelToolCalls, err = d.optBool()
	case "response_format":
		r.ResponseFormat, err = d.responseFormat()
	case "temperature":
		r.Temperature, err = d.optFloat(0, 2)
	case "top_p":
		r.TopP, err = d.optFloat(0, 1)
	case "presence_penalty":
		r.PresencePenalty, err = d.optFloat(-2, 2)
	case "frequency_penalty":
		r.FrequencyPenalty, err = d.optFloat(-2, 2)
	case "max_tokens":
		tf.maxTokens, err = d.optInt(1)
	case "max_completion_tokens":
		tf.maxCompletionTokens, err = d.optInt(1)
	case "n":
		r.N, err = d.optInt(1)
	case "seed":
		r.Seed, err = d.optInt64()
	case "stop":
		r.Stop, err = d.stop()
	case "stream":
		r.Stream, err = d.flag()
	case "stream_options":
		tf.includeUsage, err = d.streamOptions()
	case "user":
		r.User, err = d.string()
	case "metadata":
		r.Metadata, err = d.metadata()
	default:
		return d.extra(r, key)
	}
	return err
}

// extra keeps an unmodelled member verbatim for pass-through adapters.
func (d *decoder) extra(r *llm.ChatRequest, key string) error {
	raw, err := d.rawValue()
	if err != nil {
		return err
	}
	if r.Extra == nil {
		r.Extra = make(map[string]json.RawMessage, 2)
	}
	r.Extra[key] = raw
	return nil
}
