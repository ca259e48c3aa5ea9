// Package openrouter is the adapter for OpenRouter (PROVIDERS.md §6): an
// OpenAI-compatible API with attribution headers, a provider routing object,
// SSE keep-alive comments and in-band stream errors.
package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// Kind is the provider kind this package registers.
const Kind = "openrouter"

// DefaultBaseURL is OpenRouter's API root.
const DefaultBaseURL = "https://openrouter.ai/api"

const chatPath = "/v1/chat/completions"

// Adapter is one OpenRouter deployment.
type Adapter struct {
	ep       *oaicompat.Endpoint
	model    string
	provider json.RawMessage
}

// New builds the adapter for d. Options (all optional):
//
//	options:
//	  referer: https://example.com   # HTTP-Referer
//	  title: My App                  # X-OpenRouter-Title
//	  provider: {order: [mistral], allow_fallbacks: false, data_collection: deny}
func New(d config.Deployment, deps providers.Deps) (providers.Provider, error) {
	if d.Model == "" {
		return nil, errors.New("model: required for provider openrouter")
	}
	var opts options
	if err := config.DecodeOptions(d.Options, &opts); err != nil {
		return nil, err // already names options.<field> and its line
	}
	base := d.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if err := oaicompat.ValidateBaseURL(base); err != nil {
		return nil, err
	}
	header := http.Header{}
	if opts.Referer != "" {
		header.Set("HTTP-Referer", opts.Referer)
	}
	if opts.Title != "" {
		header.Set("X-OpenRouter-Title", opts.Title)
	}
	a := &Adapter{
		ep:    oaicompat.NewEndpoint(oaicompat.JoinURL(base, chatPath), d.APIKey, header, deps.HTTPClient, Kind, classify),
		model: d.Model,
	}
	if opts.Provider != nil {
		raw, err := json.Marshal(opts.Provider)
		if err != nil {
			return nil, fmt.Errorf("options.provider: %w", err)
		}
		a.provider = raw
	}
	return a, nil
}

// Chat sends req and returns the complete answer.
func (a *Adapter) Chat(ctx context.Context, req *llm.ChatRequest) (*llm.ChatResponse, error) {
	body, err := encodeRequest(req, a.model, a.provider, false)
	if err != nil {
		return nil, err
	}
	resp, err := a.ep.Post(ctx, body, false)
	if err != nil {
		return nil, err
	}
	data, err := a.ep.Read(ctx, resp)
	if err != nil {
		return nil, err
	}
	return decodeResponse(data)
}

// ChatStream sends req and returns the answer as a stream.
func (a *Adapter) ChatStream(ctx context.Context, req *llm.ChatRequest) (providers.Stream, error) {
	body, err := encodeRequest(req, a.model, a.provider, true)
	if err != nil {
		return nil, err
	}
	resp, err := a.ep.Post(ctx, body, true)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, resp.Body), nil
}

func classify(status int, h http.Header, body []byte, now time.Time, secret string) error {
	return classifyError(status, h, body, now, secret)
}

// Capabilities: OpenRouter's request schema has tools, parallel_tool_calls,
// response_format and image parts, and no n (it answers one choice). The
// caller's unmodelled fields (logprobs, logit_bias, prediction) are not
// forwarded, so a client cannot steer routing or billing: those are
// refused.
func (a *Adapter) Capabilities() llm.Capability {
	return llm.CapJSONSchema | llm.CapImages | llm.CapTools | llm.CapParallelToolCalls
}
