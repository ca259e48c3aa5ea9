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
	url      string
	model    string
	key      string
	header   http.Header // attribution headers, without the key
	provider json.RawMessage
	client   *http.Client
	now      func() time.Time
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
	a := &Adapter{
		url:    oaicompat.JoinURL(base, chatPath),
		model:  d.Model,
		key:    d.APIKey.Value(),
		header: http.Header{},
		client: deps.HTTPClient,
		now:    time.Now,
	}
	if a.client == nil {
		a.client = oaicompat.DefaultHTTPClient()
	}
	if opts.Referer != "" {
		a.header.Set("HTTP-Referer", opts.Referer)
	}
	if opts.Title != "" {
		a.header.Set("X-OpenRouter-Title", opts.Title)
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
	resp, err := a.post(ctx, body, false)
	if err != nil {
		return nil, err
	}
	data, err := oaicompat.ReadBody(ctx, resp, oaicompat.MaxResponseBytes, Kind)
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
	resp, err := a.post(ctx, body, true)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, resp.Body), nil
}

func (a *Adapter) post(ctx context.Context, body []byte, stream bool) (*http.Response, error) {
	h := a.header.Clone()
	if a.key != "" {
		h.Set("Authorization", "Bearer "+a.key)
	}
	resp, err := oaicompat.Post(ctx, a.client, oaicompat.Request{URL: a.url, Body: body, Header: h, Stream: stream}, Kind)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		data := oaicompat.ReadErrorBody(resp)
		return nil, classifyError(resp.StatusCode, resp.Header, data, a.now(), a.key)
	}
	return resp, nil
}
