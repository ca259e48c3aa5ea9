// Package vertex is the adapter for Mistral models on Google Vertex AI
// (PROVIDERS.md §4): Mistral's own chat body and SSE stream carried in
// google.api.HttpBody over the official aiplatform gRPC client
// (PredictionClient.RawPredict and StreamRawPredict).
package vertex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	aiplatform "cloud.google.com/go/aiplatform/apiv1"
	"cloud.google.com/go/aiplatform/apiv1/aiplatformpb"
	"google.golang.org/genproto/googleapis/api/httpbody"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// Kind is the provider kind this package registers.
const Kind = "vertex"

// Publisher is the Model Garden publisher of Mistral's models.
const Publisher = "mistralai"

// DefaultRateLimitCooldown is the wait given to the executor after a
// RESOURCE_EXHAUSTED that carries no google.rpc.RetryInfo: Vertex sends no
// Retry-After, and its quotas are per minute.
const DefaultRateLimitCooldown = 2 * time.Second

// options is the deployment's `options` block.
type options struct {
	// Project is the Google Cloud project id. Required.
	Project string `yaml:"project"`
	// Endpoint overrides the gRPC endpoint host:port. Default
	// "{region}-aiplatform.googleapis.com:443", or
	// "aiplatform.googleapis.com:443" for region global. Set it for a
	// Private Service Connect endpoint or the local emulator.
	Endpoint string `yaml:"endpoint"`
	// CredentialsFile is a Google credentials JSON file (service account
	// key, workload identity federation config, authorized user, impersonated
	// service account). Default: none, Application Default Credentials.
	CredentialsFile string `yaml:"credentials_file"`
	// CAFile is a PEM bundle of roots to trust for the endpoint's TLS
	// certificate, instead of the system roots (a private endpoint with its
	// own CA, the emulator's generated certificate). Default: system roots.
	CAFile string `yaml:"ca_file"`
	// RateLimitCooldown is how long to wait after a RESOURCE_EXHAUSTED
	// without a RetryInfo. Default 2s.
	RateLimitCooldown config.Duration `yaml:"rate_limit_cooldown"`
}

// Adapter is one Vertex deployment: one gRPC client (one connection),
// built at start-up and reused.
type Adapter struct {
	client   *aiplatform.PredictionClient
	resource string // projects/{p}/locations/{l}/publishers/mistralai/models/{m}
	model    string // the configured model id, possibly with @version
	secret   string // a static token, redacted from messages
	cooldown time.Duration
	now      func() time.Time
}

// New builds the adapter for d. Options:
//
//	options:
//	  project: my-gcp-project          # required
//	  endpoint: 10.0.0.5:443           # optional; default {region}-aiplatform.googleapis.com:443
//	  credentials_file: /secrets/sa.json  # optional; default ADC
//	  ca_file: /etc/windrose/ca.pem    # optional; default system roots
//	  rate_limit_cooldown: 2s          # optional
//
// d.Region is the Vertex location (us-central1, europe-west4, or global);
// d.APIKey, when set, is sent as a static OAuth2 access token (short-lived:
// for tests and the demo). New reads the local files it is given but makes
// no network call: the connection and the first token are made on the
// first request.
func New(d config.Deployment, deps providers.Deps) (providers.Provider, error) {
	a, err := newAdapter(d, nil)
	if err != nil {
		return nil, err
	}
	return a, nil
}

func newAdapter(d config.Deployment, extra []clientOption) (*Adapter, error) {
	var opts options
	if err := config.DecodeOptions(d.Options, &opts); err != nil {
		return nil, err // already names options.<field> and its line
	}
	var errs []error
	if d.Model == "" {
		errs = append(errs, errors.New("model: required for provider vertex"))
	} else if strings.ContainsAny(d.Model, "/ ") {
		errs = append(errs, fmt.Errorf("model: %q is not a Vertex model id (want e.g. mistral-medium-3 or mistral-medium-3@001)", d.Model))
	}
	if d.Region == "" {
		errs = append(errs, errors.New("region: required for provider vertex (a Vertex location such as europe-west4, or global)"))
	}
	if opts.Project == "" {
		errs = append(errs, errors.New("options.project: required for provider vertex"))
	}
	if d.BaseURL != "" {
		errs = append(errs, errors.New("base_url: not used by provider vertex (gRPC); set options.endpoint to host:port"))
	}
	if opts.RateLimitCooldown < 0 {
		errs = append(errs, errors.New("options.rate_limit_cooldown: must not be negative"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	client, err := newClient(d, &opts, extra)
	if err != nil {
		return nil, err
	}
	cooldown := opts.RateLimitCooldown.D()
	if cooldown == 0 {
		cooldown = DefaultRateLimitCooldown
	}
	return &Adapter{
		client:   client,
		resource: ResourceName(opts.Project, d.Region, d.Model),
		model:    d.Model,
		secret:   d.APIKey.Value(),
		cooldown: cooldown,
		now:      time.Now,
	}, nil
}

// ResourceName is the Vertex resource a Mistral model is called at.
func ResourceName(project, location, model string) string {
	return "projects/" + project + "/locations/" + location + "/publishers/" + Publisher + "/models/" + model
}

// Close releases the deployment's gRPC connection.
func (a *Adapter) Close() error { return a.client.Close() }

// Chat sends req through RawPredict and returns the complete answer.
func (a *Adapter) Chat(ctx context.Context, req *llm.ChatRequest) (*llm.ChatResponse, error) {
	body, ids, err := mistralwire.Vertex.EncodeRequest(req, a.model, false)
	if err != nil {
		return nil, err
	}
	resp, err := a.client.RawPredict(ctx, &aiplatformpb.RawPredictRequest{
		Endpoint: a.resource,
		HttpBody: &httpbody.HttpBody{ContentType: "application/json", Data: body},
	})
	if err != nil {
		return nil, a.classify(ctx, err)
	}
	if e := a.bodyError(resp); e != nil {
		return nil, e
	}
	return mistralwire.DecodeResponse(Kind, resp.GetData(), ids)
}

// ChatStream sends req through StreamRawPredict. It waits for the first
// HttpBody, so an error Vertex answers before any data (quota, auth, a
// container error) comes back from here, classified, and can be retried
// elsewhere.
func (a *Adapter) ChatStream(ctx context.Context, req *llm.ChatRequest) (providers.Stream, error) {
	body, ids, err := mistralwire.Vertex.EncodeRequest(req, a.model, true)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	st, err := a.client.StreamRawPredict(sctx, &aiplatformpb.StreamRawPredictRequest{
		Endpoint: a.resource,
		HttpBody: &httpbody.HttpBody{ContentType: "application/json", Data: body},
	})
	if err != nil {
		cancel()
		return nil, a.classify(ctx, err)
	}
	first := new(httpbody.HttpBody)
	if err := st.RecvMsg(first); err != nil {
		cancel()
		if errors.Is(err, io.EOF) && ctx.Err() == nil {
			return nil, gwerr.New(gwerr.Upstream, "%s stream ended before any data", Kind)
		}
		return nil, a.classify(ctx, err)
	}
	if e := a.bodyError(first); e != nil {
		cancel()
		return nil, e
	}
	r := newBodyReader(st, cancel, first)
	return mistralwire.NewStream(ctx, Kind, r, ids), nil
}

// Capabilities: Vertex's Mistral container takes Mistral's body; its
// schema (the GCP SDK's ChatCompletionRequest) has n, prediction and
// parallel_tool_calls, json_schema, image chunks and tools, and no
// logprobs or logit_bias.
func (a *Adapter) Capabilities() llm.Capability {
	return llm.CapN | llm.CapPrediction | llm.CapJSONSchema | llm.CapImages | llm.CapTools | llm.CapParallelToolCalls
}
