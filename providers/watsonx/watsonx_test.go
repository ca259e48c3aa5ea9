package watsonx_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/all"
	"github.com/windrose-gw/windrose/providers/watsonx"
)

// Every options problem is reported, naming its field; none makes a
// network call.
func TestNewValidation(t *testing.T) {
	good := config.Deployment{Name: "w", Provider: watsonx.Kind, Model: "mistralai/mistral-medium-2505",
		Region: "eu-de", APIKey: "k"}
	tests := []struct {
		name    string
		mutate  func(d *config.Deployment)
		options string
		want    string // "" means New must succeed
	}{
		// The minimal block: a project, defaults for the rest.
		{"project", nil, "project_id: p", ""},
		// A space instead.
		{"space", nil, "space_id: s", ""},
		// Every option set.
		{"all", nil, "space_id: s\nversion: \"2025-02-11\"\niam_url: https://private.iam.cloud.ibm.com/identity/token\nmistral_tool_ids: false", ""},
		// An unquoted date is still the version string, not a YAML timestamp.
		{"unquoted version", nil, "project_id: p\nversion: 2025-02-11", ""},
		// Neither project nor space.
		{"neither", nil, "version: \"2025-02-11\"", "options.project_id"},
		// Both.
		{"both", nil, "project_id: p\nspace_id: s", "options.space_id"},
		// A version that is not a date.
		{"version", nil, "project_id: p\nversion: latest", "options.version"},
		// An IAM URL that is not absolute.
		{"iam_url", nil, "project_id: p\niam_url: iam.cloud.ibm.com", "options.iam_url"},
		// A misspelt key is an error, not ignored.
		{"unknown", nil, "project_id: p\nprojectid: q", "projectid"},
		// No API key.
		{"key", func(d *config.Deployment) { d.APIKey = "" }, "project_id: p", "api_key"},
		// No model.
		{"model", func(d *config.Deployment) { d.Model = "" }, "project_id: p", "model"},
		// No region and no base_url: nowhere to send requests.
		{"region", func(d *config.Deployment) { d.Region = "" }, "project_id: p", "region"},
		// A bad base_url.
		{"base_url", func(d *config.Deployment) { d.BaseURL = "ftp://x" }, "project_id: p", "base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good
			if tt.mutate != nil {
				tt.mutate(&d)
			}
			d.Options = optionsNode(t, tt.options)
			_, err := all.Registry().Build(d, providers.Deps{})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New: %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// The emulator's model_retired and invalid_model answers (404
// model_not_supported) are a deployment fault: fail over, never the
// client's invalid request.
func TestModelUnavailable(t *testing.T) {
	for _, kind := range []string{"model_retired", "invalid_model"} {
		t.Run(kind, func(t *testing.T) {
			root := startEmulator(t)
			setFaults(t, root, `{"error_kind":"`+kind+`"}`)
			p := newAdapter(t, root, emulatorKey)
			_, chatErr := p.Chat(ctxFor(t, 10*time.Second), hello())
			_, streamErr := p.ChatStream(ctxFor(t, 10*time.Second), hello())
			for name, err := range map[string]error{"chat": chatErr, "stream": streamErr} {
				if e := gwerr.As(err); err == nil || e.Kind != gwerr.ModelUnavailable || e.Status != http.StatusNotFound {
					t.Errorf("%s: %v, want ModelUnavailable from a 404", name, err)
				}
			}
		})
	}
}

// A model the deployment names but watsonx does not serve is the same
// deployment fault, found without any injected fault.
func TestUnknownModel(t *testing.T) {
	root := startEmulator(t)
	p, err := watsonx.New(config.Deployment{Name: "w", Provider: watsonx.Kind, Model: "mistralai/mistral-medium-2508",
		BaseURL: root, APIKey: config.Secret(emulatorKey), Options: optionsNode(t, "project_id: p\niam_url: "+root)}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Chat(ctxFor(t, 10*time.Second), hello()); gwerr.KindOf(err) != gwerr.ModelUnavailable {
		t.Errorf("err = %v, want ModelUnavailable", err)
	}
}

// Each other error class through the emulator: 403 rejected → Auth, quota →
// Auth insufficient_quota, 504 → Timeout, 520 → Upstream.
func TestErrorClasses(t *testing.T) {
	tests := []struct {
		faults string
		kind   gwerr.Kind
		code   string
	}{
		{`{"status":403}`, gwerr.Auth, ""},
		{`{"error_kind":"credits"}`, gwerr.Auth, "insufficient_quota"},
		{`{"error_kind":"timeout"}`, gwerr.Timeout, ""},
		{`{"status":520}`, gwerr.Upstream, ""},
		{`{"error_kind":"capacity"}`, gwerr.Overloaded, ""},
	}
	for _, tt := range tests {
		t.Run(tt.faults, func(t *testing.T) {
			root := startEmulator(t)
			setFaults(t, root, tt.faults)
			_, err := newAdapter(t, root, emulatorKey).Chat(ctxFor(t, 10*time.Second), hello())
			if e := gwerr.As(err); err == nil || e.Kind != tt.kind || e.Code != tt.code {
				t.Errorf("err = %v (code %q), want %v %q", err, e.Code, tt.kind, tt.code)
			}
		})
	}
}

// A streamed tool call with tools given (the case another gateway returns
// nothing for on this model) arrives whole, and its id round-trips.
func TestStreamedToolCallRoundTrip(t *testing.T) {
	root := startEmulator(t)
	p := newAdapter(t, root, emulatorKey)
	tools := []llm.Tool{{Name: "get_weather", Parameters: []byte(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)}}
	req := &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "get_weather for Oslo"}}, Tools: tools,
		ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceAuto}}
	s, err := p.ChatStream(ctxFor(t, 10*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var id, name string
	var args []byte
	for {
		ev, err := s.Next()
		if err != nil {
			break
		}
		for _, d := range ev.Deltas {
			for _, tc := range d.ToolCalls {
				id, name = id+tc.ID, name+tc.Name
				args = append(args, tc.Arguments...)
			}
		}
	}
	if id == "" || name != "get_weather" || !bytes.Contains(args, []byte("Oslo")) {
		t.Fatalf("call id %q name %q args %s", id, name, args)
	}
}

func setFaults(t *testing.T, root, js string) {
	t.Helper()
	resp, err := http.Post(root+"/_emulator/faults", "application/json", strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("faults %s: %d", js, resp.StatusCode)
	}
}
