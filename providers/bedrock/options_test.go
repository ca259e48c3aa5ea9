package bedrock

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers"
)

func node(t *testing.T, src string) yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Content) == 0 {
		return yaml.Node{}
	}
	return *doc.Content[0]
}

// TestNewValidation: the factory checks its deployment without any network
// call and names the bad field.
func TestNewValidation(t *testing.T) {
	tests := []struct {
		name    string
		d       config.Deployment
		options string
		want    string // a substring of the error; "" means success
	}{
		// The credential chain: no options at all (built lazily, offline).
		{name: "chain", want: ""},
		// Static keys.
		{name: "static", options: "access_key_id: AKID\nsecret_access_key: s\nsession_token: t", want: ""},
		// A Bedrock API key.
		{name: "api key", d: config.Deployment{APIKey: "bedrock-api-key"}, want: ""},
		// A typo is named with its path and line.
		{name: "unknown field", options: "acess_key_id: AKID", want: "options.acess_key_id"},
		// A wrong type names the field.
		{name: "wrong type", options: "vision: [1]", want: "options.vision"},
		// Half a key pair.
		{name: "id without secret", options: "access_key_id: AKID", want: "options.secret_access_key: required"},
		{name: "secret without id", options: "secret_access_key: s", want: "options.access_key_id: required"},
		{name: "token alone", options: "session_token: t", want: "options.session_token"},
		// Two credentials at once is ambiguous.
		{name: "keys and api key", d: config.Deployment{APIKey: "k"}, options: "access_key_id: a\nsecret_access_key: s", want: "not both"},
		{name: "profile and keys", options: "profile: p\naccess_key_id: a\nsecret_access_key: s", want: "options.profile"},
		// Deployment fields the adapter needs.
		{name: "no model", d: config.Deployment{Model: "-"}, want: "model: required"},
		{name: "no region", d: config.Deployment{Region: "-"}, want: "region: required"},
		{name: "bad base_url", d: config.Deployment{BaseURL: "ftp://x"}, want: "base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			d.Name, d.Provider = "b", Kind
			if d.Model == "" {
				d.Model = "m"
			} else if d.Model == "-" {
				d.Model = ""
			}
			if d.Region == "" {
				d.Region = "eu-west-1"
			} else if d.Region == "-" {
				d.Region = ""
			}
			d.Options = node(t, tt.options)
			// A transport that fails the test proves construction is offline.
			deps := providers.Deps{HTTPClient: &http.Client{Transport: failTransport{t}}}
			_, err := New(d, deps)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("network call during construction: %s %s", r.Method, r.URL)
	return nil, http.ErrNotSupported
}

// An API key is never sent over plain HTTP, except to loopback.
func TestAPIKeyNeedsHTTPS(t *testing.T) {
	c := &canned{body: []byte(okBody)}
	p, err := New(config.Deployment{Name: "b", Provider: Kind, Model: "m", Region: "eu-west-1",
		BaseURL: "http://bedrock.internal.example", APIKey: "the-api-key"}, providers.Deps{HTTPClient: &http.Client{Transport: c}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Chat(context.Background(), hello())
	if gwerr.KindOf(err) != gwerr.Auth || len(c.paths) != 0 {
		t.Errorf("plain-HTTP API key: err %v, %d requests sent; want Auth and none", err, len(c.paths))
	}
	if strings.Contains(err.Error(), "the-api-key") {
		t.Errorf("error leaks the key: %v", err)
	}
	for _, base := range []string{"https://bedrock.example", "http://127.0.0.1:9", "http://localhost:9"} {
		c := &canned{body: []byte(okBody)}
		p, _ := New(config.Deployment{Name: "b", Provider: Kind, Model: "m", Region: "eu-west-1",
			BaseURL: base, APIKey: "the-api-key"}, providers.Deps{HTTPClient: &http.Client{Transport: c}})
		if _, err := p.Chat(context.Background(), hello()); err != nil || c.auth[0] != "Bearer the-api-key" {
			t.Errorf("%s: err %v, auth %q", base, err, c.auth)
		}
	}
}

// Static keys sign with SigV4 for service bedrock in the deployment's region.
func TestStaticKeysSign(t *testing.T) {
	c := &canned{body: []byte(okBody)}
	a := testAdapter(t, c, "m", "")
	if _, err := a.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.auth[0], "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(c.auth[0], "/eu-west-1/bedrock/aws4_request") {
		t.Errorf("Authorization = %q", c.auth[0])
	}
}

// The SDK's retryer is off: a throttled request is tried once.
func TestNoSDKRetries(t *testing.T) {
	c := &canned{status: 429, body: []byte(`{"message":"Too many requests"}`),
		header: http.Header{"X-Amzn-Errortype": {"ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}}}
	a := testAdapter(t, c, "m", "")
	_, err := a.Chat(context.Background(), hello())
	if gwerr.KindOf(err) != gwerr.RateLimited || len(c.paths) != 1 {
		t.Errorf("err %v after %d requests; want RateLimited after 1", err, len(c.paths))
	}
}
