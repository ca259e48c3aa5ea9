package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// fixtureSecret is the value of MISTRAL_API_KEY in fixtures; it must never
// show up in an error or in Redacted output.
const fixtureSecret = "sk-fixture-secret"

// fixtureEnv is the environment every fixture is loaded with.
func fixtureEnv(k string) string {
	return map[string]string{"MISTRAL_API_KEY": fixtureSecret, "PORT": "8081", "WEIGHT": "4"}[k]
}

// TestGoodFixtures loads each *.good.yaml and compares its redacted,
// defaulted form with a golden file (go test -update rewrites them).
func TestGoodFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.good.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".good.yaml")
		t.Run(name, func(t *testing.T) {
			c, err := Load(f, fixtureEnv)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got, err := c.Redacted()
			if err != nil {
				t.Fatalf("Redacted: %v", err)
			}
			if strings.Contains(string(got), fixtureSecret) {
				t.Errorf("Redacted output contains the secret:\n%s", got)
			}
			golden := filepath.Join("testdata", "golden", name+".yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Redacted mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBadFixtures checks the exact text every *.bad.yaml produces: one
// fixture per rule, so a rule that stops firing (or starts firing twice)
// fails here.
func TestBadFixtures(t *testing.T) {
	want := map[string]string{
		// Names and aliases share one namespace; names are claimed first.
		"alias-conflict": `models[0].aliases[0]: "n" is already used by models[1].name (line 3)`,
		// An expanded empty client key would accept "Bearer " from anyone.
		"api-key-empty":         "server.api_keys[0]: must not be empty (line 2)",
		"attempts-zero":         "models[0].attempts: must be > 0 (line 3)",
		"base-url":              "models[0].deployments[0].base_url: must be an absolute http or https URL (line 7)",
		"bytesize":              `server.max_body_bytes: invalid size "4 megs" (want a number of bytes or a size such as 4MiB, 512KiB, 1MB) (line 2)`,
		"deployment-name-empty": "models[0].deployments[0].name: must not be empty (line 4)",
		// Deployment names are unique across models: they label metrics.
		"duplicate-deployment": `models[1].deployments[0].name: "a" is already used by models[0].deployments[0].name (line 5)`,
		// yaml.v3 accepts duplicate keys in a Node tree; we must not.
		"duplicate-key": "models[0].deployments[0].model: duplicate key; first at line 6 (line 7)",
		// Key problems are reported all at once; a shared key would make
		// two teams' spend indistinguishable.
		"keys": `keys[0].name: must be 1 to 64 characters of a-z, A-Z, 0-9, _ . - (it is a metric label) (line 8)
keys[0].key: a sha256: key must be followed by 64 hex digits (line 9)
keys[0].models[0]: unknown model or alias "nope" (line 10)
keys[0].regions[0]: unknown geo or region "mars" (line 11)
keys[0].rate.requests_per_minute: must be >= 0 (line 12)
keys[0].rate.tokens_per_minute: must be between 0 and 60000000 (line 12)
keys[0].budget.usd: must be > 0 (line 13)
keys[0].budget.period: must be day, week or month (line 13)
keys[2].key: the same key is already used by keys[1] (line 17)
state.url: required for the redis backend (line 18)`,
		// Every interface and no client key: anyone who reaches the port
		// spends the provider keys, so windrose refuses to start.
		"open-listener":        `server.listen: listening on "0.0.0.0:8080" (not loopback) without client auth would let anyone who reaches it spend your provider keys: set keys (or server.api_keys), or server.allow_unauthenticated: true for a pod-private sidecar behind a NetworkPolicy (line 2)`,
		"duplicate-model-name": `models[1].name: "m" is already used by models[0].name (line 4)`,
		// A bare number is ambiguous as a duration.
		"duration-syntax": `server.shutdown_grace: invalid duration "30" (want a duration such as 30s or 2m) (line 2)`,
		"duration-zero":   "models[0].attempt_timeout: must be > 0 (line 3)",
		"empty":           "config is empty",
		"env-malformed":   "models[0].deployments[0].api_key: unterminated ${ reference (want ${NAME} or ${NAME:-default}) (line 7)",
		// Every unset variable is named; the base_url left unexpanded is
		// not reported a second time as a bad URL.
		"env-unset":    "models[0].deployments[0].api_key: environment variable NOT_SET is not set (line 7)\nmodels[0].deployments[0].base_url: environment variables NOT_HOST, NOT_PORT are not set (line 8)",
		"geo-unknown":  `models[0].deployments[0].geo: unknown geo "mars" (want one of eu, us, uk, ca, sa, apac, jp, au, me, af, global, unknown) (line 7)`,
		"hedge-budget": "models[0].hedge.budget: must be in (0, 1] (line 3)",
		"breaker-rate": "server.breaker.failure_rate: must be between 0 and 1 (line 2)",
		"listen":       "server.listen: must be host:port, e.g. 127.0.0.1:8080 (line 2)",
		// One port cannot be both the API and a separate admin listener.
		"admin-listen": "server.admin_listen: must differ from server.listen (leave it unset to serve admin endpoints on listen) (line 3)",
		// Each negative upstream setting is reported.
		"upstream": "server.upstream.max_idle_conns_per_host: must be >= 0 (line 2)\nserver.upstream.idle_conn_timeout: must be >= 0 (line 2)\nserver.upstream.tls_handshake_timeout: must be >= 0 (line 2)",
		// Every server limit is reported; a zero one would be no limit.
		"limits":    "server.body_read_timeout: must be > 0 (line 3)\nserver.idle_timeout: must be > 0 (line 4)\nserver.max_header_bytes: must be > 0 (line 5)\nserver.stream_write_timeout: must be > 0 (line 6)\nserver.max_in_flight: must be > 0 (line 7)",
		"log-level": "server.log_level: must be one of debug, info, warn, error (line 2)",
		// All problems at once, in file order; a missing field is reported
		// at its owner's line.
		"many":              "server.listen: must be host:port, e.g. 127.0.0.1:8080 (line 2)\nmodels[0].deployments[0].region: required for provider bedrock (line 6)\nmodels[0].deployments[0].model: must not be empty (line 8)\nmodels[0].deployments[0].weight: must be > 0 (line 9)",
		"model-id-empty":    "models[0].deployments[0].model: must not be empty (line 6)",
		"model-name-empty":  "models[0].name: must not be empty (line 2)",
		"multi-doc":         "config must be a single YAML document (line 7)",
		"no-deployments":    "models[0].deployments: at least one deployment is required (line 3)",
		"no-models":         "models: at least one model is required",
		"prefer-region":     `server.prefer_region: unknown geo or region "atlantis" (want a geo such as eu, us, global, or a region id) (line 2)`,
		"price-negative":    "models[0].deployments[0].price.input_per_mtok: must be >= 0 (line 7)",
		"prices-entry":      "prices[0].provider: unknown provider \"nowhere\" (want one of mistral, bedrock, azure, vertex, watsonx, openrouter, openai) (line 8)\nprices[2]: mistral m1 is already priced by prices[1] (line 10)",
		"priority-negative": "models[0].deployments[0].priority: must be >= 0 (line 7)",
		"region-required":   "models[0].deployments[0].region: required for provider bedrock (line 4)",
		// A region no table knows must come with an explicit geo, or
		// residency rules could not place it.
		"region-unplaceable": `models[0].deployments[0].region: cannot tell where "atlantis-1" is; set geo to one of eu, us, uk, ca, sa, apac, jp, au, me, af, global, unknown (line 7)`,
		"regions-rule":       `models[0].regions[1]: unknown geo or region "atlantis" (want a geo such as eu, us, global, or a region id) (line 3)`,
		"strategy":           "models[0].strategy: must be one of weighted, latency, cost (line 3)",
		"syntax":             "invalid YAML: line 1: did not find expected '-' indicator",
		// The message must not echo the value (it may be an expanded secret).
		"type-error":       "models[0].deployments[0].weight: must be an integer (line 7)",
		"unknown-field":    `models[0].deployments[0].wieght: unknown field (did you mean "weight"?) (line 7)`,
		"unknown-provider": `models[0].deployments[0].provider: unknown provider "anthropic" (want one of mistral, bedrock, azure, vertex, watsonx, openrouter, openai) (line 5)`,
		// An explicit 0 is a mistake, not a request for the default.
		"weight-zero": "models[0].deployments[0].weight: must be > 0 (line 7)",
		// A wrong shape is one error, not a cascade of "required" ones.
		"wrong-shape": "models: must be a list (line 2)",
	}
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".bad.yaml"))
	}
	var wantNames []string
	for n := range want {
		wantNames = append(wantNames, n)
	}
	sort.Strings(wantNames)
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Fatalf("fixture files and table differ (-table +files):\n%s", diff)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", name+".bad.yaml"), fixtureEnv)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			if c != nil {
				t.Errorf("Load returned a config with an error")
			}
			if diff := cmp.Diff(want[name], err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error is not a *FieldError: %T", err)
			}
		})
	}
}

// TestDefaults checks every default on the smallest config.
func TestDefaults(t *testing.T) {
	c, err := Parse([]byte("models: [{name: m, hedge: {}, deployments: [{name: d, provider: openrouter, model: x}]}]"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Server: Server{
			Listen:         "127.0.0.1:8080",
			MaxBodyBytes:   4 << 20,
			ShutdownGrace:  Duration(30 * time.Second),
			RequestTimeout: Duration(10 * time.Minute),
			LogLevel:       "info",
			// Server limits (issue 11).
			BodyReadTimeout:    Duration(30 * time.Second),
			IdleTimeout:        Duration(120 * time.Second),
			MaxHeaderBytes:     64 << 10,
			StreamWriteTimeout: Duration(30 * time.Second),
			MaxInFlight:        256,
		},
		Models: []Model{{
			Name:              "m",
			Strategy:          "weighted",
			Attempts:          3,
			AttemptTimeout:    Duration(120 * time.Second),
			FirstTokenTimeout: FirstTokenTimeout{Auto: true},
			FirstTokenAuto: FirstTokenAuto{Floor: Duration(3 * time.Second), Ceiling: Duration(30 * time.Second),
				ColdStart: Duration(30 * time.Second), Factor: 4, PerKPromptTokens: Duration(250 * time.Millisecond), MinSamples: 20},
			StallTimeout: Duration(30 * time.Second),
			Resume:       Resume{Mode: "off", Max: 1},
			Hedge:        &Hedge{Budget: 0.1},
			Deployments: []Deployment{{
				Name: "d", Provider: "openrouter", Model: "x", Geo: "global", Weight: 1,
			}},
		}},
		State: State{Backend: "memory", Timeout: Duration(50 * time.Millisecond), OnError: "fail_open", Prefix: "windrose:"},
	}
	if diff := cmp.Diff(want, c, cmpopts.IgnoreFields(Deployment{}, "Options")); diff != "" {
		t.Errorf("defaults mismatch (-want +got):\n%s", diff)
	}
}

// TestDerivedGeo checks that deployments are placed by region and, for
// Bedrock, by inference profile.
func TestDerivedGeo(t *testing.T) {
	tests := []struct {
		name, provider, model, region, geo, want string
	}{
		// Mistral's API is EU whatever region is written.
		{"mistral", "mistral", "mistral-medium-2508", "", "", "eu"},
		{"bedrock region", "bedrock", "mistral.mistral-large-3-675b-instruct", "us-east-1", "", "us"},
		// A global profile may run anywhere, even from an EU region.
		{"bedrock global profile", "bedrock", "global.x.y", "eu-west-1", "", "global"},
		{"azure global standard", "azure", "mistral-medium-2505", "global", "", "global"},
		{"watsonx london", "watsonx", "mistralai/mistral-medium-2505", "eu-gb", "", "uk"},
		// An explicit geo is never overridden.
		{"explicit geo", "vertex", "mistral-medium-3", "us-central1", "eu", "eu"},
		// The generic kind with no region is honestly unknown.
		{"openai no region", "openai", "m", "", "", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Models: []Model{{Name: "m", Deployments: []Deployment{{
				Name: "d", Provider: tt.provider, Model: tt.model, Region: tt.region, Geo: tt.geo,
			}}}}}
			c.SetDefaults()
			if err := Validate(c, nil); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := c.Models[0].Deployments[0].Geo; got != tt.want {
				t.Errorf("geo = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestValidateGoConfig checks Validate on a config built in Go: errors
// carry paths but no lines.
func TestValidateGoConfig(t *testing.T) {
	c := &Config{Models: []Model{{Name: "m", Deployments: []Deployment{{Name: "d", Provider: "mistral", Model: "x"}}}}}
	c.SetDefaults()
	c.Models[0].Deployments[0].Priority = -2
	err := Validate(c, []string{"mistral"})
	if diff := cmp.Diff("models[0].deployments[0].priority: must be >= 0", errString(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A provider outside the injected set is rejected even if built in.
	c.Models[0].Deployments[0].Priority = 0
	c.Models[0].Deployments[0].Provider = "openrouter"
	err = Validate(c, []string{"mistral"})
	if diff := cmp.Diff(`models[0].deployments[0].provider: unknown provider "openrouter" (want one of mistral)`, errString(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestProvidersOption checks that ParseWith honours an injected provider set.
func TestProvidersOption(t *testing.T) {
	data := []byte("models: [{name: m, deployments: [{name: d, provider: custom, model: x, geo: eu}]}]")
	if _, err := ParseWith(data, Options{Providers: []string{"custom"}}); err != nil {
		t.Errorf("custom provider rejected: %v", err)
	}
	if _, err := Parse(data, nil); err == nil {
		t.Error("custom provider accepted by the built-in set")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestShippedConfigs loads the shipped example and demo configs.
func TestShippedConfigs(t *testing.T) {
	env := func(k string) string {
		if strings.HasSuffix(k, "_URL") {
			return "http://127.0.0.1:9999"
		}
		return "placeholder"
	}
	for _, f := range []string{"../../config/windrose.example.yaml", "../../config/demo.yaml"} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f, env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Models[0].Name != "mistral-medium" {
				t.Errorf("first model = %q, want mistral-medium", c.Models[0].Name)
			}
		})
	}
}

// TestDemoConfig pins what "windrose demo" relies on.
func TestDemoConfig(t *testing.T) {
	env := map[string]string{
		"WINDROSE_DEMO_MISTRAL_URL":     "http://127.0.0.1:7001",
		"WINDROSE_DEMO_OPENROUTER_URL":  "http://127.0.0.1:7002",
		"WINDROSE_DEMO_AZURE_URL":       "http://127.0.0.1:7003",
		"WINDROSE_DEMO_WATSONX_URL":     "http://127.0.0.1:7005",
		"WINDROSE_DEMO_BEDROCK_URL":     "http://127.0.0.1:7006",
		"WINDROSE_DEMO_VERTEX_ENDPOINT": "127.0.0.1:7004",
		"WINDROSE_DEMO_VERTEX_CA_FILE":  "/tmp/vertex-ca.pem",
	}
	c, err := Load("../../config/demo.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	type dep struct{ Name, Provider, Model, BaseURL, Geo, Key string }
	var got []dep
	for _, d := range c.Models[0].Deployments {
		got = append(got, dep{d.Name, d.Provider, d.Model, d.BaseURL, d.Geo, d.APIKey.Value()})
	}
	want := []dep{
		{"mistral", "mistral", "mistral-medium-2508", "http://127.0.0.1:7001", "eu", "emulator-key"},
		{"openrouter", "openrouter", "mistralai/mistral-medium-3.1", "http://127.0.0.1:7002", "global", "emulator-key"},
		// Bedrock signs with SigV4 (keys in its options), so no api_key.
		{"bedrock", "bedrock", "mistral.mistral-large-3-675b-instruct", "http://127.0.0.1:7006", "eu", ""},
		{"azure", "azure", "mistral-medium-2505", "http://127.0.0.1:7003", "eu", "emulator-key"},
		{"watsonx", "watsonx", "mistralai/mistral-medium-2505", "http://127.0.0.1:7005", "eu", "emulator-key"},
		// gRPC over TLS: the endpoint and certificate are options, not base_url.
		{"vertex", "vertex", "mistral-medium-3", "", "eu", "emulator-key"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("demo deployments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"mistral-medium-2508", "mistral-medium-latest"}, c.Models[0].Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	if c.Server.Listen != "127.0.0.1:8080" {
		t.Errorf("listen = %q", c.Server.Listen)
	}
}

// TestRedactedRoundTrip checks that Redacted output loads back to the same
// config: a dump is a valid, complete config (secrets aside).
func TestRedactedRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f, fixtureEnv)
			if err != nil {
				t.Fatal(err)
			}
			first, err := c.Redacted()
			if err != nil {
				t.Fatal(err)
			}
			c2, err := Parse(first, nil)
			if err != nil {
				t.Fatalf("Redacted output does not load: %v\n%s", err, first)
			}
			second, err := c2.Redacted()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(first), string(second)); diff != "" {
				t.Errorf("round trip changed the config (-first +second):\n%s", diff)
			}
		})
	}
}

// FuzzParse feeds arbitrary bytes to Parse: it must return a config or an
// error, never panic or hang.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("models: [{<<: {name: m}, deployments: [{<<: [{name: d}, {name: e}]}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, fixtureEnv)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", c != nil, err)
		}
		if c != nil {
			if _, err := c.Redacted(); err != nil {
				t.Fatalf("Redacted: %v", err)
			}
		}
	})
}
