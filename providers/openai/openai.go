// Package openai is the adapter for a generic OpenAI-compatible chat
// endpoint: vLLM, a Mistral VPC deployment, another gateway. It is the one
// pass-through adapter: the caller's unmodelled fields (Extra) are
// forwarded as they came.
package openai

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// Kind is the provider kind this package registers.
const Kind = "openai"

// Adapter is one OpenAI-compatible deployment.
type Adapter struct {
	ep    *oaicompat.Endpoint
	model string
}

// New builds the adapter for d. d.BaseURL is required and names the API
// root that /chat/completions is appended to (e.g. http://host:8000/v1);
// d.APIKey is optional (sent as a Bearer token when set).
func New(d config.Deployment, deps providers.Deps) (providers.Provider, error) {
	if d.BaseURL == "" {
		return nil, errors.New("base_url: required for provider openai (e.g. http://host:8000/v1)")
	}
	if err := oaicompat.ValidateBaseURL(d.BaseURL); err != nil {
		return nil, err
	}
	if d.Model == "" {
		return nil, errors.New("model: required for provider openai")
	}
	// No options yet; strict decoding into an empty struct rejects any key.
	if err := config.DecodeOptions(d.Options, &struct{}{}); err != nil {
		return nil, err
	}
	ep := oaicompat.NewEndpoint(oaicompat.JoinURL(d.BaseURL, "/chat/completions"), d.APIKey, nil, deps.HTTPClient, Kind, classify)
	return &Adapter{ep: ep, model: d.Model}, nil
}

func classify(status int, h http.Header, body []byte, now time.Time, secret string) error {
	return classifyError(status, h, body, now, secret)
}

// Chat sends req and returns the complete answer.
func (a *Adapter) Chat(ctx context.Context, req *llm.ChatRequest) (*llm.ChatResponse, error) {
	resp, err := a.ep.Post(ctx, encodeRequest(req, a.model, false), false)
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
	resp, err := a.ep.Post(ctx, encodeRequest(req, a.model, true), true)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, resp.Body), nil
}

// Capabilities: a pass-through to an OpenAI-compatible API forwards every
// parameter as sent, so it serves them all.
func (a *Adapter) Capabilities() llm.Capability { return llm.CapsAll }
