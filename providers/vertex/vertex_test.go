package vertex

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/providers"
)

// Construction validates the deployment and names the bad field; it makes
// no network call (ADC is looked up on the first request), so each case
// runs offline.
func TestNewValidation(t *testing.T) {
	dir := t.TempDir()
	badPEM := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(badPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	apiKeyFile := filepath.Join(dir, "key.json")
	if err := os.WriteFile(apiKeyFile, []byte(`{"type":"api_key"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	base := config.Deployment{Name: "v", Provider: Kind, Model: testModel, Region: testRegion}
	tests := []struct {
		name    string
		edit    func(d *config.Deployment)
		options string
		want    string // "" means it builds
	}{
		// The minimal deployment builds with ADC, even with no credentials on this machine.
		{"minimal", nil, "project: p", ""},
		// global is a valid location (geo global, never in-region).
		{"global", func(d *config.Deployment) { d.Region = "global" }, "project: p", ""},
		// A pinned model version is accepted.
		{"pinned", func(d *config.Deployment) { d.Model = "mistral-medium-3@001" }, "project: p", ""},
		// An unknown options key is named with its path.
		{"unknown key", nil, "project: p\nprojekt: q", "options.projekt"},
		// A wrongly typed field is named.
		{"bad cooldown", nil, "project: p\nrate_limit_cooldown: soon", "options.rate_limit_cooldown"},
		// The project is required.
		{"no project", nil, "endpoint: x:1", "options.project"},
		// The region is the Vertex location and required.
		{"no region", func(d *config.Deployment) { d.Region = "" }, "project: p", "region"},
		// The model is required.
		{"no model", func(d *config.Deployment) { d.Model = "" }, "project: p", "model"},
		// A resource path is not a model id.
		{"model path", func(d *config.Deployment) { d.Model = "publishers/mistralai/models/x" }, "project: p", "model"},
		// base_url is HTTP; Vertex here is gRPC.
		{"base_url", func(d *config.Deployment) { d.BaseURL = "https://x" }, "project: p", "options.endpoint"},
		// A CA file that is missing.
		{"ca missing", nil, "project: p\nca_file: " + filepath.Join(dir, "none.pem"), "options.ca_file"},
		// A CA file without a certificate.
		{"ca not pem", nil, "project: p\nca_file: " + badPEM, "options.ca_file"},
		// A credentials file of a type we do not load.
		{"credentials type", nil, "project: p\ncredentials_file: " + apiKeyFile, "options.credentials_file"},
		// A credentials file that does not exist.
		{"credentials missing", nil, "project: p\ncredentials_file: " + filepath.Join(dir, "none.json"), "options.credentials_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(dir, "absent.json"))
			d := base
			if tt.edit != nil {
				tt.edit(&d)
			}
			d.Options = optionsNode(t, tt.options)
			p, err := New(d, providers.Deps{})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				_ = p.(*Adapter).Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to name %q", err, tt.want)
			}
		})
	}
}

// The resource path and the default endpoints (PROVIDERS.md §4.2, §4.5).
func TestResourceAndEndpoint(t *testing.T) {
	if got, want := ResourceName("p", "europe-west4", "mistral-medium-3@001"),
		"projects/p/locations/europe-west4/publishers/mistralai/models/mistral-medium-3@001"; got != want {
		t.Errorf("ResourceName = %q, want %q", got, want)
	}
	tests := map[string]string{
		// Regional host for a region.
		"europe-west4": "europe-west4-aiplatform.googleapis.com:443",
		"us-central1":  "us-central1-aiplatform.googleapis.com:443",
		// The global host for global.
		"global": "aiplatform.googleapis.com:443",
	}
	for loc, want := range tests {
		if got := Endpoint(loc); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", loc, got, want)
		}
	}
}
