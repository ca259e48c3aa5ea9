// Package mistral is the adapter for Mistral's La Plateforme chat API
// (PROVIDERS.md §1): an OpenAI-like dialect with its own field names, strict
// schema validation and 9-character tool-call ids.
package mistral

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// Kind is the provider kind this package registers.
const Kind = "mistral"

// DefaultBaseURL is La Plateforme's endpoint root.
const DefaultBaseURL = "https://api.mistral.ai"

const chatPath = "/v1/chat/completions"

// Adapter is one Mistral deployment.
type Adapter struct {
	ep    *oaicompat.Endpoint
	model string
}

// New builds the adapter for d. d.BaseURL overrides DefaultBaseURL (the
// path /v1/chat/completions is appended); d.Model is required. Mistral
// takes no options block.
func New(d config.Deployment, deps providers.Deps) (providers.Provider, error) {
	if d.Model == "" {
		return nil, errors.New("model: required for provider mistral")
	}
	// No options yet; strict decoding into an empty struct rejects any key.
	if err := config.DecodeOptions(d.Options, &struct{}{}); err != nil {
		return nil, err
	}
	base := d.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if err := oaicompat.ValidateBaseURL(base); err != nil {
		return nil, err
	}
	ep := oaicompat.NewEndpoint(oaicompat.JoinURL(base, chatPath), d.APIKey, nil, deps.HTTPClient, Kind, classify)
	return &Adapter{ep: ep, model: d.Model}, nil
}

func classify(status int, h http.Header, body []byte, now time.Time, secret string) error {
	return mistralwire.ClassifyError(Kind, status, h, body, now, secret)
}

// Chat sends req and returns the complete answer.
func (a *Adapter) Chat(ctx context.Context, req *llm.ChatRequest) (*llm.ChatResponse, error) {
	body, ids, err := mistralwire.EncodeRequest(req, a.model, false)
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
	return mistralwire.DecodeResponse(Kind, data, ids)
}

// ChatStream sends req and returns the answer as a stream.
func (a *Adapter) ChatStream(ctx context.Context, req *llm.ChatRequest) (providers.Stream, error) {
	body, ids, err := mistralwire.EncodeRequest(req, a.model, true)
	if err != nil {
		return nil, err
	}
	resp, err := a.ep.Post(ctx, body, true)
	if err != nil {
		return nil, err
	}
	return mistralwire.NewStream(ctx, Kind, resp.Body, ids), nil
}

// AssistantPrefix implements providers.Prefixer: Mistral's API documents a
// final assistant message with "prefix": true (PROVIDERS.md §1.2).
func (a *Adapter) AssistantPrefix() bool { return true }

// Capabilities: La Plateforme takes n, prediction and parallel_tool_calls
// (PROVIDERS.md §1.2), json_schema, image chunks and tools. It has no
// logprobs or logit_bias, and rejects unknown fields, so those are refused.
func (a *Adapter) Capabilities() llm.Capability {
	return llm.CapN | llm.CapPrediction | llm.CapJSONSchema | llm.CapImages | llm.CapTools | llm.CapParallelToolCalls
}
