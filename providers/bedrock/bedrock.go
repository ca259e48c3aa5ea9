// Package bedrock is the adapter for AWS Bedrock's Converse API
// (PROVIDERS.md §2), built on aws-sdk-go-v2's bedrockruntime client: the SDK
// signs (SigV4 or a Bedrock API key) and decodes the binary event stream;
// this package only translates between windrose's neutral types and
// Converse, and classifies the SDK's errors.
//
// Bedrock sells no Mistral Medium: the model id is whatever the deployment
// configures (a substitute such as mistral.mistral-large-3-675b-instruct,
// a cross-region inference profile "eu.…"/"global.…", or an ARN).
package bedrock

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// Kind is the provider kind this package registers.
const Kind = "bedrock"

// Adapter is one Bedrock deployment.
type Adapter struct {
	client *bedrockruntime.Client
	model  string
	vision bool
	secret string // redacted from any message quoted back
	now    func() time.Time
}

// New builds the adapter for d without any network call. d.Model and
// d.Region are required; d.BaseURL overrides the regional endpoint
// (a VPC endpoint, a proxy, the emulator); d.APIKey, when set, is a Bedrock
// API key sent as a bearer token. Options (all optional):
//
//	options:
//	  access_key_id: ${AWS_ACCESS_KEY_ID}          # static keys instead of the chain
//	  secret_access_key: ${AWS_SECRET_ACCESS_KEY}
//	  session_token: ${AWS_SESSION_TOKEN}          # with temporary keys only
//	  profile: my-profile                          # a shared-config profile for the chain
//	  vision: true                                 # the model accepts image parts
//
// With neither api_key nor static keys, credentials come from the SDK's
// default chain: environment, shared config and credentials files, web
// identity (IRSA), EKS Pod Identity, ECS and the EC2 instance role.
func New(d config.Deployment, deps providers.Deps) (providers.Provider, error) {
	if d.Model == "" {
		return nil, errors.New("model: required for provider bedrock")
	}
	if d.Region == "" {
		return nil, errors.New("region: required for provider bedrock")
	}
	var opts options
	if err := config.DecodeOptions(d.Options, &opts); err != nil {
		return nil, err // already names options.<field> and its line
	}
	if err := opts.validate(d.APIKey); err != nil {
		return nil, err
	}
	client, err := newClient(d, &opts, deps)
	if err != nil {
		return nil, err
	}
	secret := d.APIKey.Value()
	if secret == "" {
		secret = opts.SecretAccessKey.Value()
	}
	return &Adapter{client: client, model: d.Model, vision: opts.Vision, secret: secret, now: time.Now}, nil
}

// Chat sends req through Converse and returns the complete answer.
func (a *Adapter) Chat(ctx context.Context, req *llm.ChatRequest) (*llm.ChatResponse, error) {
	in, ids, err := encodeRequest(req, a.model, a.vision)
	if err != nil {
		return nil, err
	}
	out, err := a.client.Converse(ctx, in)
	if err != nil {
		return nil, classify(ctx, err, a.now(), a.secret)
	}
	resp, err := decodeResponse(out, a.model, ids)
	if err != nil {
		return nil, err
	}
	resp.Created = a.now().Unix() // Converse answers carry no timestamp
	return resp, nil
}

// ChatStream sends req through ConverseStream and returns the answer as a
// stream of neutral events.
func (a *Adapter) ChatStream(ctx context.Context, req *llm.ChatRequest) (providers.Stream, error) {
	in, ids, err := encodeRequest(req, a.model, a.vision)
	if err != nil {
		return nil, err
	}
	out, err := a.client.ConverseStream(ctx, streamInput(in))
	if err != nil {
		return nil, classify(ctx, err, a.now(), a.secret)
	}
	return newStream(ctx, out.GetStream(), a.model, ids, a.now, a.secret), nil
}

// streamInput is the ConverseStream form of a Converse request: the two
// share every member windrose sets.
func streamInput(in *bedrockruntime.ConverseInput) *bedrockruntime.ConverseStreamInput {
	return &bedrockruntime.ConverseStreamInput{
		ModelId:         in.ModelId,
		Messages:        in.Messages,
		System:          in.System,
		InferenceConfig: in.InferenceConfig,
		ToolConfig:      in.ToolConfig,
		OutputConfig:    in.OutputConfig,
	}
}

// Capabilities: Converse (PROVIDERS.md §2.4) has tools and structured
// output (outputConfig, for json_schema); images only where the deployment
// says its model takes them (options.vision). It has no n, logprobs,
// logit_bias, prediction or parallel_tool_calls.
func (a *Adapter) Capabilities() llm.Capability {
	c := llm.CapJSONSchema | llm.CapTools
	if a.vision {
		c |= llm.CapImages
	}
	return c
}
