package llm

import "bytes"

// Capability is a set of request features a deployment can serve. A request
// that needs one is planned only over deployments that have it; an adapter
// declares its set with providers.Capable.
type Capability uint16

// Capabilities, in the order requests are checked.
const (
	CapN                 Capability = 1 << iota // n > 1
	CapLogprobs                                 // logprobs, top_logprobs
	CapLogitBias                                // logit_bias
	CapPrediction                               // prediction (predicted outputs)
	CapJSONSchema                               // response_format json_schema
	CapImages                                   // image_url content parts
	CapTools                                    // tools
	CapParallelToolCalls                        // parallel_tool_calls: false
)

// CapsAll is every capability (a pass-through to an OpenAI-compatible API).
const CapsAll = CapN | CapLogprobs | CapLogitBias | CapPrediction | CapJSONSchema | CapImages | CapTools | CapParallelToolCalls

// CapsDefault is what an adapter that declares nothing is taken to serve:
// the features every adapter maps. The rest were dropped silently before
// capability-aware routing, so they must be declared.
const CapsDefault = CapJSONSchema | CapImages | CapTools | CapParallelToolCalls

var capParams = []struct {
	c     Capability
	param string
}{
	{CapN, "n"}, {CapLogprobs, "logprobs"}, {CapLogitBias, "logit_bias"}, {CapPrediction, "prediction"},
	{CapJSONSchema, "response_format"}, {CapImages, "messages"}, {CapTools, "tools"}, {CapParallelToolCalls, "parallel_tool_calls"},
}

// Param names the request parameter behind the first capability of c, for
// the 400's param.
func (c Capability) Param() string {
	for _, p := range capParams {
		if c&p.c != 0 {
			return p.param
		}
	}
	return ""
}

// Needs returns the capabilities r needs of the deployment that serves it.
func Needs(r *ChatRequest) Capability {
	var c Capability
	if r.N != nil && *r.N > 1 {
		c |= CapN
	}
	if set(r.Extra["logprobs"]) && !bytes.Equal(bytes.TrimSpace(r.Extra["logprobs"]), []byte("false")) || set(r.Extra["top_logprobs"]) {
		c |= CapLogprobs
	}
	if set(r.Extra["logit_bias"]) && !bytes.Equal(bytes.TrimSpace(r.Extra["logit_bias"]), []byte("{}")) {
		c |= CapLogitBias
	}
	if set(r.Extra["prediction"]) {
		c |= CapPrediction
	}
	if r.ResponseFormat != nil && r.ResponseFormat.Type == FormatJSONSchema {
		c |= CapJSONSchema
	}
	if len(r.Tools) > 0 {
		c |= CapTools
	}
	if r.ParallelToolCalls != nil && !*r.ParallelToolCalls {
		// true asks for what every backend does by default (Mistral's
		// models, OpenAI's and Converse all may call tools in parallel);
		// only false needs a provider that takes the switch.
		c |= CapParallelToolCalls
	}
	for i := range r.Messages {
		for _, p := range r.Messages[i].Parts {
			if p.Type == PartImageURL {
				c |= CapImages
			}
		}
	}
	return c
}

// set reports whether a raw JSON member is present and not null.
func set(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}
