// Package responsesapi translates between OpenAI's Responses API wire format
// (POST /v1/responses) and windrose's neutral llm types, so a Responses
// client runs on the same router, executor and adapters as chat completions.
//
// decode*.go read client requests (Responses wire → llm); encode*.go write
// response objects, stream events and stored conversations (llm → Responses
// wire). Decoding reuses internal/openaiapi's strict scanner, typed readers
// and param-path errors: one JSON stack for every untrusted body.
package responsesapi

import (
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	oa "github.com/windrose-gw/windrose/internal/openaiapi"
)

// Request is one decoded POST /v1/responses body.
type Request struct {
	// Chat is the neutral request. Its Messages are the instructions (a
	// system message, when set) followed by Input; the server puts a stored
	// conversation in between when PreviousResponseID is set (Prepend).
	Chat *llm.ChatRequest
	// Instructions is the instructions member; it is not part of a stored
	// conversation (OpenAI does not carry it over previous_response_id).
	Instructions string
	// Input is the input items as messages, without the instructions.
	Input []llm.Message
	// PreviousResponseID continues a stored response's conversation.
	PreviousResponseID string
	// Store is false only when the client sent store:false; StoreSet says
	// whether it sent the member at all.
	Store, StoreSet bool
}

// Prepend sets Chat.Messages to instructions + history + input.
func (r *Request) Prepend(history []llm.Message) {
	msgs := make([]llm.Message, 0, len(history)+len(r.Input)+1)
	if r.Instructions != "" {
		msgs = append(msgs, llm.Message{Role: llm.RoleSystem, Content: r.Instructions})
	}
	msgs = append(msgs, history...)
	r.Chat.Messages = append(msgs, r.Input...)
}

// decoder reads one request body.
type decoder struct {
	*oa.Reader
}

// DecodeRequest parses the body of POST /v1/responses. Unknown top-level
// members are refused (unlike chat completions there is no pass-through
// adapter for them); unknown members inside items, parts and tools are
// ignored. Parameters windrose understands but cannot honour (reasoning,
// built-in tools, background…) are a 400 naming the parameter.
//
// Every failure is a *gwerr.Error of Kind InvalidRequest with Param set to
// the offending field's path (input[2].content[0].type); malformed JSON has
// no Param and wins over any field error.
func DecodeRequest(body []byte) (*Request, error) {
	d := decoder{oa.NewReader(body)}
	req, err := d.request()
	if err != nil {
		return nil, d.Done(err)
	}
	return req, nil
}

// top holds members resolved once the whole object is read.
type top struct {
	inputSet bool
}

func (d *decoder) request() (*Request, error) {
	switch d.Peek() {
	case 0:
		return nil, gwerr.New(gwerr.InvalidRequest, "the request body is empty")
	case '{':
	default:
		if err := d.Skip(); err != nil {
			return nil, err
		}
		if err := d.End(); err != nil {
			return nil, err
		}
		return nil, gwerr.New(gwerr.InvalidRequest, "the request body must be a JSON object")
	}
	r := &Request{Chat: &llm.ChatRequest{}, Store: true}
	var t top
	err := d.Object(func(key string) error { return oa.At(d.field(r, &t, key), key) })
	if err != nil {
		return nil, err
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return r, t.finish(r)
}

func (t *top) finish(r *Request) error {
	if r.Chat.Model == "" {
		return oa.Missing("model")
	}
	if !t.inputSet && r.PreviousResponseID == "" {
		return oa.Missing("input")
	}
	if len(r.Input) == 0 && r.PreviousResponseID == "" {
		return oa.Invalid("input", "empty array; expected at least one input item")
	}
	r.Prepend(nil)
	return nil
}

// field decodes one top-level member.
func (d *decoder) field(r *Request, t *top, key string) (err error) {
	c := r.Chat
	switch key {
	case "model":
		c.Model, err = d.String()
	case "input":
		t.inputSet = d.Peek() != 'n'
		r.Input, err = d.input()
	case "instructions":
		r.Instructions, err = d.String()
	case "tools":
		c.Tools, err = d.tools()
	case "tool_choice":
		c.ToolChoice, err = d.toolChoice()
	case "parallel_tool_calls":
		c.ParallelToolCalls, err = d.OptBool()
	case "text":
		c.ResponseFormat, err = d.text()
	case "max_output_tokens":
		c.MaxTokens, err = d.OptInt(1)
	case "temperature":
		c.Temperature, err = d.OptFloat(0, 2)
	case "top_p":
		c.TopP, err = d.OptFloat(0, 1)
	case "metadata":
		c.Metadata, err = d.Metadata()
	case "user":
		if c.User == "" { // safety_identifier, OpenAI's newer name, wins
			c.User, err = d.String()
		} else {
			err = d.Skip()
		}
	case "safety_identifier":
		var s string
		if s, err = d.String(); s != "" {
			c.User = s
		}
	case "stream":
		c.Stream, err = d.Flag()
	case "store":
		var b *bool
		b, err = d.OptBool()
		r.StoreSet = b != nil
		r.Store = b == nil || *b
	case "previous_response_id":
		r.PreviousResponseID, err = d.String()
	default:
		return d.other(key)
	}
	return err
}

// other handles the members windrose accepts without acting on them, the
// ones it refuses, and unknown ones.
func (d *decoder) other(key string) error {
	switch key {
	case "service_tier", "prompt_cache_key", "stream_options", "prompt_cache_retention":
		// Hints about OpenAI's own serving; no deployment behind windrose
		// has them, and ignoring them changes no answer.
		return d.Skip()
	case "truncation":
		s, err := d.String()
		if err != nil || s == "" || s == "disabled" {
			return err
		}
		return oa.Unsupported("", "truncation '%s' is not supported: windrose never truncates input; send 'disabled' or leave it out", s)
	case "include", "reasoning", "background", "conversation", "prompt", "max_tool_calls", "top_logprobs":
		return d.refuse(key)
	}
	if err := d.Skip(); err != nil {
		return err
	}
	return oa.Unknown("")
}

// refuse reads a member windrose cannot honour: null, false, an empty array
// or an empty object mean "not asked" and pass; anything else is a 400.
func (d *decoder) refuse(key string) error {
	var empty bool
	switch d.Peek() {
	case 'n':
		return d.Skip()
	case 'f':
		b, err := d.Flag()
		if err != nil || !b {
			return err
		}
	case '[':
		n := 0
		err := d.Array(func(int) error { n++; return d.Skip() })
		if err != nil {
			return err
		}
		empty = n == 0
	case '{':
		n := 0
		err := d.Object(func(string) error { n++; return d.Skip() })
		if err != nil {
			return err
		}
		empty = n == 0
	default:
		if err := d.Skip(); err != nil {
			return err
		}
	}
	if empty {
		return nil
	}
	return oa.Unsupported("", "%s", refusedWhy[key])
}

// refusedWhy says why each refused parameter is refused.
var refusedWhy = map[string]string{
	"include":        "windrose returns no extra output data (no reasoning content, logprobs or tool results to include)",
	"reasoning":      "the models behind windrose do not expose reasoning settings or summaries",
	"background":     "windrose serves responses synchronously; background responses are not available",
	"conversation":   "windrose has no Conversations API; use previous_response_id",
	"prompt":         "windrose has no stored prompt templates",
	"max_tool_calls": "windrose offers no built-in tools to bound",
	"top_logprobs":   "the models behind windrose do not return log probabilities",
}
