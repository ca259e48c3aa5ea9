// Package watsonx is the adapter for IBM watsonx.ai's chat API (PROVIDERS.md
// §5): an OpenAI-like body with model_id, project_id or space_id, and
// tool_choice_option, behind an IAM bearer token that the IBM SDK's
// IamAuthenticator exchanges from the deployment's API key and refreshes.
package watsonx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// Kind is the provider kind this package registers.
const Kind = "watsonx"

// Defaults of the options block.
const (
	// DefaultVersion is the API version date sent as ?version= (the date the
	// IBM Java SDK pins, PROVIDERS.md §5.2).
	DefaultVersion = "2026-08-11"
	// DefaultIAMURL is IBM Cloud's public IAM host; the SDK appends
	// /identity/token.
	DefaultIAMURL = "https://iam.cloud.ibm.com"
)

const (
	chatPath   = "/ml/v1/text/chat"
	streamPath = "/ml/v1/text/chat_stream"
)

// options is the deployment's options block.
type options struct {
	// ProjectID is the watsonx.ai project the requests run in. Exactly one
	// of project_id and space_id is required.
	ProjectID string `yaml:"project_id"`
	// SpaceID is the deployment space the requests run in.
	SpaceID string `yaml:"space_id"`
	// Version is the API version date (YYYY-MM-DD). Default DefaultVersion.
	Version string `yaml:"version"`
	// IAMURL is the IAM token service (IBM Cloud dedicated or private
	// endpoints, the emulator); a trailing /identity/token is accepted.
	// Default DefaultIAMURL.
	IAMURL string `yaml:"iam_url"`
	// MistralToolIDs rewrites tool-call ids to Mistral's nine alphanumerics.
	// Default: true when the model id starts with "mistralai/".
	MistralToolIDs *bool `yaml:"mistral_tool_ids"`
}

// Adapter is one watsonx deployment.
type Adapter struct {
	chatURL, streamURL string
	model              string
	scope              scope
	mistralIDs         bool
	tokens             *tokens
	client             *http.Client
	secret             string
	now                func() time.Time
}

// New builds the adapter for d. d.APIKey is the IBM Cloud API key and
// d.Model the watsonx model_id; d.BaseURL overrides
// https://{region}.ml.cloud.ibm.com. It makes no network call.
//
//	options:
//	  project_id: 0f1e…            # or space_id; exactly one
//	  version: "2026-08-11"        # optional
//	  iam_url: https://iam.cloud.ibm.com   # optional
func New(d config.Deployment, deps providers.Deps) (providers.Provider, error) {
	opts, base, err := validate(d)
	if err != nil {
		return nil, err
	}
	client := deps.HTTPClient
	if client == nil {
		client = oaicompat.DefaultHTTPClient()
	}
	tk, err := newTokens(d.APIKey.Value(), opts.IAMURL, client)
	if err != nil {
		return nil, err
	}
	q := "?version=" + url.QueryEscape(opts.Version)
	a := &Adapter{
		chatURL:    oaicompat.JoinURL(base, chatPath) + q,
		streamURL:  oaicompat.JoinURL(base, streamPath) + q,
		model:      d.Model,
		scope:      scope{projectID: opts.ProjectID, spaceID: opts.SpaceID},
		mistralIDs: strings.HasPrefix(d.Model, "mistralai/"),
		tokens:     tk,
		client:     client,
		secret:     d.APIKey.Value(),
		now:        time.Now,
	}
	if opts.MistralToolIDs != nil {
		a.mistralIDs = *opts.MistralToolIDs
	}
	return a, nil
}

// validate decodes d's options strictly, fills their defaults and checks
// the deployment, reporting every problem at once with its field. It
// returns the chat host's base URL too.
func validate(d config.Deployment) (options, string, error) {
	var opts options
	if err := config.DecodeOptions(d.Options, &opts); err != nil {
		return opts, "", err
	}
	var errs []error
	if d.Model == "" {
		errs = append(errs, errors.New("model: required for provider watsonx (a model_id such as mistralai/mistral-medium-2505)"))
	}
	if d.APIKey.Value() == "" {
		errs = append(errs, errors.New("api_key: required for provider watsonx (an IBM Cloud API key)"))
	}
	switch {
	case opts.ProjectID == "" && opts.SpaceID == "":
		errs = append(errs, errors.New("options.project_id: exactly one of project_id and space_id is required"))
	case opts.ProjectID != "" && opts.SpaceID != "":
		errs = append(errs, errors.New("options.space_id: set project_id or space_id, not both"))
	}
	if opts.Version == "" {
		opts.Version = DefaultVersion
	} else if _, err := time.Parse(time.DateOnly, opts.Version); err != nil {
		errs = append(errs, fmt.Errorf("options.version %q: must be a date such as %s", opts.Version, DefaultVersion))
	}
	if opts.IAMURL == "" {
		opts.IAMURL = DefaultIAMURL
	} else if err := oaicompat.ValidateBaseURL(opts.IAMURL); err != nil {
		errs = append(errs, errors.New("options.iam_url: must be an absolute http or https URL"))
	}
	base := d.BaseURL
	if base == "" && d.Region != "" {
		base = "https://" + d.Region + ".ml.cloud.ibm.com"
	}
	if base == "" {
		errs = append(errs, errors.New("region: required for provider watsonx without base_url (us-south, eu-de, …)"))
	} else if err := oaicompat.ValidateBaseURL(base); err != nil {
		errs = append(errs, err)
	}
	return opts, base, errors.Join(errs...)
}

// encode builds the body and the id map to restore tool-call ids with.
func (a *Adapter) encode(ctx context.Context, req *llm.ChatRequest) ([]byte, *mistralwire.IDMap, error) {
	var rewrite *mistralwire.IDMap
	if a.mistralIDs {
		rewrite = mistralwire.NewIDMap(req.Messages)
	}
	body, err := encodeRequest(req, a.model, a.scope, rewrite, timeLimit(ctx, a.now()))
	if err != nil {
		return nil, nil, err
	}
	if rewrite == nil {
		rewrite = &mistralwire.IDMap{} // restores nothing: ids pass through
	}
	return body, rewrite, nil
}

// Chat sends req and returns the complete answer.
func (a *Adapter) Chat(ctx context.Context, req *llm.ChatRequest) (*llm.ChatResponse, error) {
	body, ids, err := a.encode(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := a.post(ctx, a.chatURL, body, false)
	if err != nil {
		return nil, err
	}
	data, err := oaicompat.ReadBody(ctx, resp, oaicompat.MaxResponseBytes, Kind)
	if err != nil {
		return nil, err
	}
	return mistralwire.DecodeResponse(Kind, data, ids)
}

// ChatStream sends req and returns the answer as a stream.
func (a *Adapter) ChatStream(ctx context.Context, req *llm.ChatRequest) (providers.Stream, error) {
	body, ids, err := a.encode(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := a.post(ctx, a.streamURL, body, true)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, resp.Body, ids), nil
}

// post sends body with a bearer token and returns a 2xx response. When
// watsonx says the token expired or is not valid, the token is fetched anew
// and the request sent once more; a second rejection is the deployment's
// Auth failure.
func (a *Adapter) post(ctx context.Context, u string, body []byte, stream bool) (*http.Response, error) {
	for retried := false; ; retried = true {
		tok, auth, err := a.tokens.token(ctx)
		if err != nil {
			return nil, err
		}
		h := http.Header{"Authorization": {"Bearer " + tok}}
		resp, err := oaicompat.Post(ctx, a.client, oaicompat.Request{URL: u, Body: body, Header: h, Stream: stream}, Kind)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode/100 == 2 {
			return resp, nil
		}
		data := oaicompat.ReadErrorBody(resp)
		if !retried && tokenRejected(resp.StatusCode, data) {
			a.tokens.reset(auth)
			continue
		}
		return nil, classifyError(resp.StatusCode, resp.Header, data, a.now(), a.secret)
	}
}

// Capabilities: watsonx's chat body (PROVIDERS.md §5.4) takes n, image
// parts, tools and response_format (json_schema is mapped; whether every
// model honours it is unverified). It has no parallel_tool_calls or
// prediction. Its logprobs and logit_bias are not mapped: windrose's
// response has nowhere to carry logprobs back.
func (a *Adapter) Capabilities() llm.Capability {
	return llm.CapN | llm.CapJSONSchema | llm.CapImages | llm.CapTools
}
