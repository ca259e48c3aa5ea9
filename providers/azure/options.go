package azure

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/windrose-gw/windrose/internal/config"
)

// Endpoint styles (PROVIDERS.md §3.2).
const (
	// StyleModels is the Foundry Models inference route:
	// {base}/models/chat/completions?api-version=…, model = deployment name.
	StyleModels = "models"
	// StyleOpenAI is the Azure OpenAI-style route on the same resource:
	// {base}/openai/deployments/{deployment}/chat/completions?api-version=….
	StyleOpenAI = "openai"
	// StyleServerless is a legacy serverless (MaaS) endpoint, one model per
	// host: https://{endpoint}.{region}.models.ai.azure.com/chat/completions.
	StyleServerless = "serverless"
)

// Default api-versions per style; serverless endpoints take none unless
// configured.
const (
	DefaultModelsAPIVersion = "2024-05-01-preview"
	DefaultOpenAIAPIVersion = "2024-10-21"
)

// Default Entra token scopes: Foundry and Azure OpenAI resources accept the
// Cognitive Services audience; serverless and ML endpoints the ML one.
const (
	DefaultScope           = "https://cognitiveservices.azure.com/.default"
	DefaultServerlessScope = "https://ml.azure.com/.default"
)

// Deployment types (options.deployment_type) and what they mean for geo.
const (
	TypeRegional       = "regional"        // processed in the resource's region
	TypeDataZone       = "data_zone"       // processed inside the region's data zone (eu, us)
	TypeGlobalStandard = "global_standard" // processed anywhere: geo global
)

// Entra credential kinds (options.entra.credential).
const (
	CredDefault          = "default"           // DefaultAzureCredential: env, workload identity, managed identity, CLI
	CredClientSecret     = "client_secret"     // tenant_id, client_id, client_secret
	CredWorkloadIdentity = "workload_identity" // tenant_id, client_id, token_file (AKS federation)
	CredManagedIdentity  = "managed_identity"  // client_id optional (user-assigned)
)

// options is the deployment's options block. Every field is optional.
type options struct {
	// Endpoint is the route style: models (default), openai or serverless.
	Endpoint string `yaml:"endpoint"`
	// Resource names the Foundry resource; with no base_url the host is
	// https://{resource}.services.ai.azure.com. Not for serverless.
	Resource string `yaml:"resource"`
	// APIVersion is the api-version query parameter. Default: 2024-05-01-preview
	// (models), 2024-10-21 (openai), none (serverless).
	APIVersion string `yaml:"api_version"`
	// ExtraParameters is sent as the extra-parameters header
	// (pass-through, drop or error). Default: not sent (Azure then errors on
	// unknown fields).
	ExtraParameters string `yaml:"extra_parameters"`
	// ForwardFields lists caller fields outside Azure's schema (e.g.
	// safe_prompt) that are forwarded as they came; every other unknown
	// field is dropped. Needs extra_parameters pass-through. Default: none.
	ForwardFields []string `yaml:"forward_fields"`
	// MistralToolIDs rewrites tool-call ids to Mistral's 9 alphanumerics and
	// maps them back. Default true: the deployments windrose fronts serve
	// Mistral models. Set false for a non-Mistral deployment.
	MistralToolIDs *bool `yaml:"mistral_tool_ids"`
	// DeploymentType is regional (default), data_zone or global_standard; it
	// decides the geo (see internal/region.AzureDeploymentGeo).
	DeploymentType string `yaml:"deployment_type"`
	// Entra selects Entra ID auth settings; it must be absent when api_key
	// is set. With neither, DefaultAzureCredential is used.
	Entra *entraOptions `yaml:"entra"`
}

// entraOptions configure Entra ID (Azure AD) tokens.
type entraOptions struct {
	// Credential: default (DefaultAzureCredential, the default),
	// client_secret, workload_identity or managed_identity.
	Credential string `yaml:"credential"`
	// TenantID is the directory (tenant) id. Required for client_secret;
	// workload_identity falls back to AZURE_TENANT_ID.
	TenantID string `yaml:"tenant_id"`
	// ClientID is the application (client) id. Required for client_secret;
	// workload_identity falls back to AZURE_CLIENT_ID; managed_identity uses
	// it to pick a user-assigned identity.
	ClientID string `yaml:"client_id"`
	// ClientSecret is the application secret, as ${ENV}. client_secret only.
	ClientSecret config.Secret `yaml:"client_secret"`
	// TokenFile is the federated token file (workload_identity). Default:
	// AZURE_FEDERATED_TOKEN_FILE.
	TokenFile string `yaml:"token_file"`
	// AuthorityHost is the Entra authority. Default:
	// https://login.microsoftonline.com/ (or AZURE_AUTHORITY_HOST). Must be
	// https.
	AuthorityHost string `yaml:"authority_host"`
	// DisableInstanceDiscovery skips Entra's instance discovery, for
	// private clouds, Azure Stack and emulators. Default false.
	DisableInstanceDiscovery bool `yaml:"disable_instance_discovery"`
	// Scope is the token scope. Default https://cognitiveservices.azure.com/.default
	// (serverless: https://ml.azure.com/.default).
	Scope string `yaml:"scope"`
}

// settings is a validated deployment: the URL, headers and auth plan.
type settings struct {
	url       string
	opts      options
	toolIDs   bool
	forward   map[string]bool
	keyHeader string // "api-key" or "Authorization" (Bearer)
	scope     string
}

// validate checks d and its options and derives the settings. Every error
// names its field.
func validate(d config.Deployment) (*settings, error) {
	var opts options
	if err := config.DecodeOptions(d.Options, &opts); err != nil {
		return nil, err // already names options.<field> and its line
	}
	if d.Model == "" {
		return nil, errors.New("model: required for provider azure (the Foundry deployment name)")
	}
	s := &settings{opts: opts, toolIDs: opts.MistralToolIDs == nil || *opts.MistralToolIDs, keyHeader: "api-key"}
	var errs []error
	switch opts.Endpoint {
	case "":
		s.opts.Endpoint = StyleModels
	case StyleModels, StyleOpenAI, StyleServerless:
	default:
		errs = append(errs, fmt.Errorf("options.endpoint: %q is not models, openai or serverless", opts.Endpoint))
	}
	switch opts.ExtraParameters {
	case "", "pass-through", "drop", "error":
	default:
		errs = append(errs, fmt.Errorf("options.extra_parameters: %q is not pass-through, drop or error", opts.ExtraParameters))
	}
	if len(opts.ForwardFields) > 0 && opts.ExtraParameters != "pass-through" {
		errs = append(errs, errors.New("options.forward_fields: needs options.extra_parameters: pass-through"))
	}
	switch opts.DeploymentType {
	case "", TypeRegional, TypeDataZone, TypeGlobalStandard:
	default:
		errs = append(errs, fmt.Errorf("options.deployment_type: %q is not regional, data_zone or global_standard", opts.DeploymentType))
	}
	for _, f := range opts.ForwardFields {
		if s.forward == nil {
			s.forward = map[string]bool{}
		}
		s.forward[f] = true
	}
	base, err := baseURL(d, &s.opts)
	if err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, s.authSettings(d)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.url = chatURL(base, d.Model, &s.opts)
	return s, nil
}

// authSettings checks the credential choice.
func (s *settings) authSettings(d config.Deployment) []error {
	e := s.opts.Entra
	if s.opts.Endpoint == StyleServerless {
		// Serverless endpoints take the key as a Bearer token.
		s.keyHeader = "Authorization"
	}
	if d.APIKey != "" {
		if e != nil {
			return []error{errors.New("options.entra: set either api_key or options.entra, not both")}
		}
		return nil
	}
	if e == nil {
		e = &entraOptions{}
		s.opts.Entra = e
	}
	s.scope = e.Scope
	if s.scope == "" {
		s.scope = DefaultScope
		if s.opts.Endpoint == StyleServerless {
			s.scope = DefaultServerlessScope
		}
	}
	var errs []error
	switch e.Credential {
	case "":
		e.Credential = CredDefault
	case CredDefault, CredManagedIdentity, CredWorkloadIdentity:
	case CredClientSecret:
		if e.TenantID == "" {
			errs = append(errs, errors.New("options.entra.tenant_id: required for credential client_secret"))
		}
		if e.ClientID == "" {
			errs = append(errs, errors.New("options.entra.client_id: required for credential client_secret"))
		}
		if e.ClientSecret == "" {
			errs = append(errs, errors.New("options.entra.client_secret: required for credential client_secret"))
		}
	default:
		errs = append(errs, fmt.Errorf("options.entra.credential: %q is not default, client_secret, workload_identity or managed_identity", e.Credential))
	}
	if e.ClientSecret != "" && e.Credential != CredClientSecret {
		errs = append(errs, errors.New("options.entra.client_secret: only used with credential client_secret"))
	}
	if e.AuthorityHost != "" {
		if u, err := url.Parse(e.AuthorityHost); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, errors.New("options.entra.authority_host: must be an absolute https URL"))
		}
	}
	return errs
}

// baseURL is base_url, or the Foundry host of options.resource.
func baseURL(d config.Deployment, o *options) (string, error) {
	switch {
	case d.BaseURL != "" && o.Resource != "":
		return "", errors.New("options.resource: set either base_url or options.resource, not both")
	case d.BaseURL != "":
		u, err := url.Parse(d.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", errors.New("base_url: must be an absolute http or https URL")
		}
		if u.RawQuery != "" {
			return "", errors.New("base_url: must not carry a query; set options.api_version")
		}
		return d.BaseURL, nil
	case o.Endpoint == StyleServerless:
		return "", errors.New("base_url: required for options.endpoint serverless (https://{endpoint}.{region}.models.ai.azure.com)")
	case o.Resource != "":
		if strings.ContainsAny(o.Resource, "./:?#@ ") {
			return "", fmt.Errorf("options.resource: %q is not a resource name", o.Resource)
		}
		return "https://" + o.Resource + ".services.ai.azure.com", nil
	}
	return "", errors.New("base_url: required for provider azure (or set options.resource)")
}

// chatURL builds the chat URL of the style, with the api-version.
func chatURL(base, deployment string, o *options) string {
	base = strings.TrimRight(base, "/")
	var u, version string
	switch o.Endpoint {
	case StyleOpenAI:
		u, version = base+"/openai/deployments/"+url.PathEscape(deployment)+"/chat/completions", DefaultOpenAIAPIVersion
	case StyleServerless:
		u = base + "/chat/completions"
	default:
		u, version = base+"/models/chat/completions", DefaultModelsAPIVersion
	}
	if o.APIVersion != "" {
		version = o.APIVersion
	}
	o.APIVersion = version
	if version != "" {
		u += "?api-version=" + url.QueryEscape(version)
	}
	return u
}
