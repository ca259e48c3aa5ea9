package vertex

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	aiplatform "cloud.google.com/go/aiplatform/apiv1"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/windrose-gw/windrose/internal/config"
)

// Scope is the OAuth2 scope Vertex prediction needs (PROVIDERS.md §4.3).
const Scope = "https://www.googleapis.com/auth/cloud-platform"

// clientOption is an extra option.ClientOption tests append (a static
// token source); production passes none.
type clientOption = option.ClientOption

// Endpoint is the default gRPC endpoint of a Vertex location: regional
// hosts for a region, the global host for "global" (PROVIDERS.md §4.5).
func Endpoint(location string) string {
	if location == "global" {
		return "aiplatform.googleapis.com:443"
	}
	return location + "-aiplatform.googleapis.com:443"
}

// newClient builds the deployment's PredictionClient. grpc.NewClient
// connects lazily and every token source here fetches lazily, so this
// makes no network call.
func newClient(d config.Deployment, o *options, extra []clientOption) (*aiplatform.PredictionClient, error) {
	endpoint := o.Endpoint
	if endpoint == "" {
		endpoint = Endpoint(d.Region)
	}
	copts := []option.ClientOption{option.WithEndpoint(endpoint)}
	ts, err := tokenSource(d, o)
	if err != nil {
		return nil, err
	}
	copts = append(copts, option.WithTokenSource(ts))
	if o.CAFile != "" {
		pool, err := loadPool(o.CAFile)
		if err != nil {
			return nil, err
		}
		tc := credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
		copts = append(copts, option.WithGRPCDialOption(grpc.WithTransportCredentials(tc)))
	}
	copts = append(copts, extra...)
	// No network here: the first RPC dials.
	c, err := aiplatform.NewPredictionClient(context.Background(), copts...)
	if err != nil {
		return nil, fmt.Errorf("vertex client: %w", err)
	}
	// gax retries off: the executor owns retries, backoff and failover.
	c.CallOptions.RawPredict = nil
	c.CallOptions.StreamRawPredict = nil
	return c, nil
}

func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("options.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("options.ca_file: %s holds no PEM certificate", path)
	}
	return pool, nil
}

// credentialTypes are the credential files accepted in credentials_file,
// by their "type" field. The type is checked before the file is used, as
// Google advises for externally supplied credential configurations.
var credentialTypes = map[string]google.CredentialsType{
	"service_account":              google.ServiceAccount,
	"authorized_user":              google.AuthorizedUser,
	"external_account":             google.ExternalAccount,
	"impersonated_service_account": google.ImpersonatedServiceAccount,
}

// tokenSource picks the deployment's token source: a static token
// (api_key), a credentials file, or Application Default Credentials looked
// up on the first request (so start-up needs neither credentials nor the
// metadata server).
func tokenSource(d config.Deployment, o *options) (oauth2.TokenSource, error) {
	if tok := d.APIKey.Value(); tok != "" {
		return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"}), nil
	}
	if o.CredentialsFile != "" {
		data, err := os.ReadFile(o.CredentialsFile)
		if err != nil {
			return nil, fmt.Errorf("options.credentials_file: %w", err)
		}
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("options.credentials_file: %s is not a JSON credentials file", o.CredentialsFile)
		}
		typ, ok := credentialTypes[head.Type]
		if !ok {
			return nil, fmt.Errorf("options.credentials_file: unsupported credential type %q", head.Type)
		}
		creds, err := google.CredentialsFromJSONWithTypeAndParams(context.Background(), data, typ, google.CredentialsParams{Scopes: []string{Scope}})
		if err != nil {
			return nil, fmt.Errorf("options.credentials_file: %v", err)
		}
		return creds.TokenSource, nil
	}
	return &adcSource{}, nil
}

// adcSource finds Application Default Credentials (GOOGLE_APPLICATION_
// CREDENTIALS, gcloud's file, GKE Workload Identity or the metadata server)
// on first use and keeps the refreshing source it found. A failed lookup
// is tried again on the next request, so credentials that appear after
// start-up are picked up.
type adcSource struct {
	mu sync.Mutex
	ts oauth2.TokenSource
}

func (s *adcSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	if s.ts == nil {
		ts, err := google.DefaultTokenSource(context.Background(), Scope)
		if err != nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("application default credentials: %w", err)
		}
		s.ts = ts
	}
	ts := s.ts
	s.mu.Unlock()
	return ts.Token()
}
