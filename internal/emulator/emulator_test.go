package emulator

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

func TestNames(t *testing.T) {
	if diff := cmp.Diff([]string{"azure", "bedrock", "mistral", "openrouter", "vertex", "watsonx"}, Names()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name     string
		provider string
		opts     emukit.Options
		path     string // a route the emulator must serve; "" when New must fail
	}{
		// Each provider serves its own chat route.
		{"mistral", "mistral", emukit.Options{}, "/v1/models"},
		{"openrouter", "openrouter", emukit.Options{}, "/api/v1/models"},
		{"azure", "azure", emukit.Options{}, "/info"},
		{"watsonx", "watsonx", emukit.Options{}, "/ml/v1/foundation_model_specs?version=2026-08-11"},
		// An unknown provider is an error naming the known ones.
		{"unknown", "bedrock-typo", emukit.Options{}, ""},
		// Invalid initial faults are refused, not served.
		{"bad_faults", "mistral", emukit.Options{Faults: emukit.Faults{Rate: 3}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := New(tc.provider, tc.opts)
			if tc.path == "" {
				if err == nil {
					t.Fatal("New succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+emukit.DefaultAPIKey)
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "mistral") {
				t.Errorf("GET %s: %d %s", tc.path, rec.Code, rec.Body)
			}
		})
	}
}
