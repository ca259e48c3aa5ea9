package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSecretsNeverLeak puts one secret everywhere an error or a dump could
// show it.
func TestSecretsNeverLeak(t *testing.T) {
	const secret = "sk-live-DO-NOT-PRINT"
	env := func(k string) string {
		if k == "SECRET" {
			return secret
		}
		return ""
	}
	bad := []byte(`server:
  api_keys: ["${SECRET}"]
models:
  - name: m
    deployments:
      - name: d
        provider: mistral
        model: x
        api_key: ${SECRET}
        weight: ${SECRET}
        base_url: ${SECRET}
`)
	_, err := Parse(bad, env)
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error leaks the secret: %v", err)
	}
	good := []byte(`server:
  api_keys: ["${SECRET}"]
models:
  - name: m
    deployments:
      - name: d
        provider: mistral
        model: x
        api_key: ${SECRET}
        options:
          client_secret: ${SECRET}
          nested: { access_token: "${SECRET}" }
          credentials: [{ value: "${SECRET}" }]
          project: my-project
`)
	c, err := Parse(good, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Models[0].Deployments[0].APIKey.Value() != secret {
		t.Error("api_key not expanded")
	}
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), secret) {
		t.Errorf("Redacted leaks the secret:\n%s", out)
	}
	if !strings.Contains(string(out), "project: my-project") {
		t.Errorf("Redacted lost a plain option:\n%s", out)
	}
}

// TestExpand covers the ${VAR} syntax.
func TestExpand(t *testing.T) {
	env := map[string]string{"A": "alpha", "B": "beta", "EMPTY": ""}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name, in, want, err string
	}{
		{"whole value", "${A}", "alpha", ""},
		{"embedded twice", "x-${A}-${B}-y", "x-alpha-beta-y", ""},
		// :- falls back on unset and on empty, like the shell.
		{"default unset", "${NOPE:-dflt}", "dflt", ""},
		{"default empty", "${EMPTY:-dflt}", "dflt", ""},
		{"default not used", "${A:-dflt}", "alpha", ""},
		{"empty default", "${NOPE:-}", "", ""},
		// $${ escapes a literal ${.
		{"escape", "$${A}", "${A}", ""},
		// $A without braces is text (passwords contain $).
		{"bare dollar", "pa$$word$A", "pa$$word$A", ""},
		// An expanded value is not expanded again.
		{"no recursion", "${R}", "${A}", ""},
		{"unset", "${NOPE}", "", "environment variable NOPE is not set"},
		{"empty is unset", "${EMPTY}", "", "environment variable EMPTY is not set"},
		{"bad name", "${1A}", "", "invalid reference ${1A} (want ${NAME} or ${NAME:-default})"},
		{"unterminated", "${A", "", "unterminated ${ reference (want ${NAME} or ${NAME:-default})"},
	}
	env["R"] = "${A}"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expand(tt.in, getenv)
			if diff := cmp.Diff(tt.err, errString(err)); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if got != tt.want {
				t.Errorf("expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestEnvTyping checks that an expanded plain scalar is re-typed (an int
// from the environment decodes as an int) while a quoted one stays text.
func TestEnvTyping(t *testing.T) {
	env := func(k string) string { return map[string]string{"W": "7", "N": "null"}[k] }
	c, err := Parse([]byte(`models:
  - name: "${N}x"
    deployments:
      - name: d
        provider: mistral
        model: "${N}"
        weight: ${W}
`), env)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Models[0].Deployments[0]
	if d.Weight != 7 || d.Model != "null" {
		t.Errorf("weight = %d, model = %q; want 7, \"null\"", d.Weight, d.Model)
	}
}
