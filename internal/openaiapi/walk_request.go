package openaiapi

import (
	"encoding/json"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/llm"
)

// topFields are top-level values that are only resolved once the whole
// object has been read (the order of members is free).
type topFields struct {
	maxTokens, maxCompletionTokens *int
	messagesSet                    bool
	includeUsage                   bool
	functions                      []llm.Tool      // legacy "functions"
	functionCall                   *llm.ToolChoice // legacy "function_call"
}

// request walks the top-level object.
func (w *walker) request(root *fastjson.Value) (*llm.ChatRequest, error) {
	r := &llm.ChatRequest{}
	var tf topFields
	first := true
	err := w.members(root, "an object", func(key []byte, v *fastjson.Value) error {
		if first {
			w.anchor(key)
			first = false
		}
		return w.field(r, &tf, key, v)
	})
	if err != nil {
		return nil, err
	}
	return r, tf.finish(r)
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
	return nil
}

// field decodes one top-level member into r.
func (w *walker) field(r *llm.ChatRequest, tf *topFields, key []byte, v *fastjson.Value) (err error) {
	switch string(key) {
	case "model":
		r.Model, err = w.optString(v)
	case "messages":
		r.Messages, err = arrayOf(v, w.message)
		tf.messagesSet = r.Messages != nil
	case "tools":
		r.Tools, err = arrayOf(v, w.tool)
	case "tool_choice":
		r.ToolChoice, err = w.toolChoice(v)
	case "functions":
		tf.functions, err = arrayOf(v, w.legacyFunction)
	case "function_call":
		tf.functionCall, err = w.functionCall(v)
	case "parallel_tool_calls":
		r.ParallelToolCalls, err = optBoolOf(v)
	case "response_format":
		r.ResponseFormat, err = w.responseFormat(v)
	case "temperature":
		r.Temperature, err = w.optFloat(v, 0, 2)
	case "top_p":
		r.TopP, err = w.optFloat(v, 0, 1)
	case "presence_penalty":
		r.PresencePenalty, err = w.optFloat(v, -2, 2)
	case "frequency_penalty":
		r.FrequencyPenalty, err = w.optFloat(v, -2, 2)
	case "max_tokens":
		tf.maxTokens, err = w.optInt(v, 1)
	case "max_completion_tokens":
		tf.maxCompletionTokens, err = w.optInt(v, 1)
	case "n":
		r.N, err = w.optInt(v, 1)
	case "seed":
		r.Seed, err = w.optInt64(v)
	case "stop":
		r.Stop, err = w.stop(v)
	case "stream":
		r.Stream, err = flagOf(v)
	case "stream_options":
		tf.includeUsage, err = w.streamOptions(v)
	case "user":
		r.User, err = w.optString(v)
	case "metadata":
		r.Metadata, err = w.metadata(v)
	default:
		return w.extra(r, key)
	}
	return err
}

// extra keeps an unmodelled member verbatim for pass-through adapters.
func (w *walker) extra(r *llm.ChatRequest, key []byte) error {
	raw, err := w.raw(key)
	if err != nil {
		return err
	}
	name, err := w.key(key)
	if err != nil {
		return err
	}
	if r.Extra == nil {
		r.Extra = make(map[string]json.RawMessage, 2)
	}
	r.Extra[name] = raw
	return nil
}

// stop reads stop: one string or an array of strings.
func (w *walker) stop(v *fastjson.Value) ([]string, error) {
	switch v.Type() {
	case fastjson.TypeString:
		s, err := w.text(v)
		return []string{s}, err
	case fastjson.TypeArray:
		out, err := arrayOf(v, func(s *string, e *fastjson.Value) (err error) {
			if e.Type() != fastjson.TypeString {
				return typeError("a string", kind(e))
			}
			*s, err = w.text(e)
			return err
		})
		if len(out) == 0 {
			return nil, err
		}
		return out, err
	case fastjson.TypeNull:
		return nil, nil
	}
	return nil, typeError("a string or an array of strings", kind(v))
}

// metadata reads a map of strings.
func (w *walker) metadata(v *fastjson.Value) (map[string]string, error) {
	var m map[string]string
	err := w.members(v, "an object of strings", func(key []byte, v *fastjson.Value) error {
		if v.Type() != fastjson.TypeString {
			return typeError("a string", kind(v))
		}
		k, err := w.key(key)
		if err != nil {
			return err
		}
		s, err := w.text(v)
		if m == nil {
			m = make(map[string]string, 4)
		}
		m[k] = s
		return err
	})
	return m, err
}

// streamOptions reads stream_options and returns include_usage.
func (w *walker) streamOptions(v *fastjson.Value) (bool, error) {
	var include bool
	err := w.members(v, "an object", func(key []byte, v *fastjson.Value) (err error) {
		if string(key) != "include_usage" {
			return w.skip(key)
		}
		include, err = flagOf(v)
		return err
	})
	return include, err
}
