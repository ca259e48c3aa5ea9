package azure

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

const (
	moduleName    = "windrose/azure"
	moduleVersion = "v1"
)

// newPipeline builds the azcore pipeline for one deployment: the SDK's
// retry policy is off (the executor owns retries and failover), telemetry
// headers are off, and the auth policy is an api-key policy or Entra's
// bearer-token policy, which caches the token and refreshes it before it
// expires. client is windrose's pooled transport.
func newPipeline(s *settings, d config.Deployment, client *http.Client) (runtime.Pipeline, error) {
	allowHTTP := loopback(s.url)
	var auth policy.Policy
	if key := d.APIKey.Value(); key != "" {
		prefix := ""
		if s.keyHeader == "Authorization" {
			prefix = "Bearer "
		}
		auth = runtime.NewKeyCredentialPolicy(azcore.NewKeyCredential(key), s.keyHeader,
			&runtime.KeyCredentialPolicyOptions{Prefix: prefix, InsecureAllowCredentialWithHTTP: allowHTTP})
	} else {
		cred, err := newCredential(s.opts.Entra, client)
		if err != nil {
			return runtime.Pipeline{}, err
		}
		auth = runtime.NewBearerTokenPolicy(markedCredential{cred}, []string{s.scope},
			&policy.BearerTokenOptions{InsecureAllowCredentialWithHTTP: allowHTTP})
	}
	// The shared client with redirects off (the pool is shared): an
	// inference endpoint has no reason to redirect, and following one would
	// carry the credential to the new target.
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return runtime.NewPipeline(moduleName, moduleVersion, runtime.PipelineOptions{PerRetry: []policy.Policy{auth}},
		&policy.ClientOptions{
			Transport: &noRedirect,
			Retry:     policy.RetryOptions{MaxRetries: -1},
			Telemetry: policy.TelemetryOptions{Disabled: true},
		}), nil
}

// loopback reports whether u's host is a loopback address: credentials go
// over plain HTTP only to a local emulator or sidecar, never across a
// network.
func loopback(u string) bool {
	parsed, err := url.Parse(u)
	if err != nil {
		return false
	}
	host := parsed.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newCredential builds the Entra credential e asks for. Nothing here
// touches the network: tokens are fetched on the first request.
func newCredential(e *entraOptions, client *http.Client) (azcore.TokenCredential, error) {
	co := azcore.ClientOptions{Transport: client, Telemetry: policy.TelemetryOptions{Disabled: true}}
	if e.AuthorityHost != "" {
		co.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: e.AuthorityHost}
	}
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch e.Credential {
	case CredClientSecret:
		cred, err = azidentity.NewClientSecretCredential(e.TenantID, e.ClientID, e.ClientSecret.Value(),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: e.DisableInstanceDiscovery})
	case CredWorkloadIdentity:
		cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: co, ClientID: e.ClientID, TenantID: e.TenantID, TokenFilePath: e.TokenFile,
			DisableInstanceDiscovery: e.DisableInstanceDiscovery,
		})
	case CredManagedIdentity:
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if e.ClientID != "" {
			mo.ID = azidentity.ClientID(e.ClientID)
		}
		cred, err = azidentity.NewManagedIdentityCredential(mo)
	default:
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, TenantID: e.TenantID, DisableInstanceDiscovery: e.DisableInstanceDiscovery,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("options.entra: credential %s: %w", e.Credential, err)
	}
	return cred, nil
}

// markedCredential tags the credential's failures, so the adapter can tell
// "no token" (Auth) from "could not reach the endpoint" (Upstream) once
// net/http has wrapped the error.
type markedCredential struct{ azcore.TokenCredential }

// GetToken implements azcore.TokenCredential.
func (c markedCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tk, err := c.TokenCredential.GetToken(ctx, o)
	if err != nil {
		return tk, &tokenError{err: err}
	}
	return tk, nil
}

// tokenError is a failure to get an Entra token.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "getting an Entra ID token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// pipelineTransport sends the requests oaicompat.Endpoint builds through
// the azcore pipeline. Each request is built for this one round trip, so
// letting the pipeline set its auth headers on it is safe.
type pipelineTransport struct{ pl runtime.Pipeline }

// RoundTrip implements http.RoundTripper.
func (t pipelineTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	req, err := runtime.NewRequestFromRequest(r)
	if err != nil {
		return nil, err
	}
	// The adapter reads bodies itself: bounded for JSON, incrementally for
	// a stream.
	runtime.SkipBodyDownload(req)
	return t.pl.Do(req)
}

// authFailure turns a transport error that was really a token failure
// into an Auth error (mark the deployment, move on). The message keeps
// Entra's AADSTS text, with secret redacted; other errors pass through.
func authFailure(ctx context.Context, err error, secret string) error {
	var te *tokenError
	if !errors.As(err, &te) || ctx.Err() != nil {
		return err
	}
	msg := oaicompat.Sanitize(te.err.Error(), secret)
	e := &gwerr.Error{Kind: gwerr.Auth, Message: "azure: could not get an Entra ID token: " + msg, Err: errors.New("entra token")}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(te.err, &afe) && afe.RawResponse != nil {
		e.Status = afe.RawResponse.StatusCode // the token endpoint's answer
	}
	return e
}
