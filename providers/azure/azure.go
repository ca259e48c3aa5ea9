// Package azure is the adapter for Azure AI Foundry (PROVIDERS.md §3): an
// OpenAI-like chat API, on one of three endpoint styles, with api-key or
// Entra ID auth through the azcore pipeline and azidentity, in front of
// Mistral models (9-character tool-call ids).
package azure

import (
	"context"
	"net/http"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// Kind is the provider kind this package registers.
const Kind = "azure"

// Adapter is one Azure deployment.
type Adapter struct {
	ep      *oaicompat.Endpoint
	model   string
	toolIDs bool
	forward map[string]bool
	secret  string // the api key or client secret, redacted from messages
}

// New builds the adapter for d. d.Model is the Foundry deployment name;
// d.BaseURL the resource root (https://{resource}.services.ai.azure.com) or,
// for serverless, the endpoint root. d.APIKey selects key auth; without
// it the options' entra block (default: DefaultAzureCredential) is used.
// See options for every key. New makes no network call.
func New(d config.Deployment, deps providers.Deps) (providers.Provider, error) {
	s, err := validate(d)
	if err != nil {
		return nil, err
	}
	client := deps.HTTPClient
	if client == nil {
		client = oaicompat.DefaultHTTPClient()
	}
	pl, err := newPipeline(s, d, client)
	if err != nil {
		return nil, err
	}
	header := http.Header{}
	if s.opts.ExtraParameters != "" {
		header.Set("extra-parameters", s.opts.ExtraParameters)
	}
	a := &Adapter{model: d.Model, toolIDs: s.toolIDs, forward: s.forward, secret: d.APIKey.Value()}
	if a.secret == "" && s.opts.Entra != nil {
		a.secret = s.opts.Entra.ClientSecret.Value()
	}
	classify := func(status int, h http.Header, body []byte, now time.Time, _ string) error {
		return classifyError(status, h, body, now, a.secret)
	}
	// No key for the Endpoint: the pipeline's policy authenticates.
	// Redirects are not followed here either (see newPipeline).
	viaPipeline := &http.Client{Transport: pipelineTransport{pl}, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	a.ep = oaicompat.NewEndpoint(s.url, "", header, viaPipeline, Kind, classify)
	return a, nil
}

// post encodes and sends req.
func (a *Adapter) post(ctx context.Context, req *llm.ChatRequest, stream bool) (*http.Response, *mistralwire.IDMap, error) {
	ids := &mistralwire.IDMap{}
	var rewrite *mistralwire.IDMap
	if a.toolIDs {
		rewrite = ids
	}
	body := encodeRequest(make([]byte, 0, 1024), req, a.model, stream, rewrite, a.forward)
	resp, err := a.ep.Post(ctx, body, stream)
	if err != nil {
		return nil, nil, authFailure(ctx, err, a.secret)
	}
	return resp, ids, nil
}

// Chat sends req and returns the complete answer. A content-filtered
// answer (finish_reason content_filter) is returned as is.
func (a *Adapter) Chat(ctx context.Context, req *llm.ChatRequest) (*llm.ChatResponse, error) {
	resp, ids, err := a.post(ctx, req, false)
	if err != nil {
		return nil, err
	}
	data, err := a.ep.Read(ctx, resp)
	if err != nil {
		return nil, err
	}
	return mistralwire.DecodeResponse(Kind, data, ids)
}

// ChatStream sends req and returns the answer as a stream. Usage may come
// in any chunk or not at all (PROVIDERS.md §3.4).
func (a *Adapter) ChatStream(ctx context.Context, req *llm.ChatRequest) (providers.Stream, error) {
	resp, ids, err := a.post(ctx, req, true)
	if err != nil {
		return nil, err
	}
	return mistralwire.NewStream(ctx, Kind, resp.Body, ids), nil
}

// Capabilities: Azure's chat-completions schema (PROVIDERS.md §3.4) has
// response_format (json_schema too), image content and tools, but no n,
// parallel_tool_calls, logprobs, logit_bias or prediction; with its default
// extra-parameters: error an unknown field fails, so the adapter drops
// them and routing refuses what needs them.
func (a *Adapter) Capabilities() llm.Capability {
	return llm.CapJSONSchema | llm.CapImages | llm.CapTools
}
