package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Options tunes LoadWith and ParseWith.
type Options struct {
	// Getenv looks up ${VAR} references, usually os.Getenv. Nil means every
	// variable is unset.
	Getenv func(string) string
	// Providers are the provider kinds a deployment may name, usually the
	// registry's kinds. Empty means DefaultProviders().
	Providers []string
}

// DefaultProviders returns the built-in provider kinds.
func DefaultProviders() []string {
	return []string{"mistral", "bedrock", "azure", "vertex", "watsonx", "openrouter", "openai"}
}

// Load reads, expands, decodes, defaults and validates the config file at
// path, accepting the built-in provider kinds. See ParseWith.
func Load(path string, getenv func(string) string) (*Config, error) {
	return LoadWith(path, Options{Getenv: getenv})
}

// LoadWith is Load with options.
func LoadWith(path string, o Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseWith(data, o)
}

// Parse is ParseWith with getenv and the built-in provider kinds.
func Parse(data []byte, getenv func(string) string) (*Config, error) {
	return ParseWith(data, Options{Getenv: getenv})
}

// ParseWith turns YAML into a Config in four steps: ${VAR} references in
// values are expanded (see Options.Getenv); the document is decoded
// strictly (unknown keys are errors); defaults fill keys absent from the
// document (an explicit zero is kept, so "weight: 0" is reported, not
// silently made 1); the result is validated. On failure it returns nil and
// every problem at once, joined with errors.Join, each a *FieldError
// carrying the field's path and line. Secret values never appear in errors.
func ParseWith(data []byte, o Options) (*Config, error) {
	root, ferr := parseDocument(data)
	if ferr != nil {
		return nil, joinErrors([]*FieldError{ferr})
	}
	var errs []*FieldError
	expandTree("", root, o.Getenv, &errs)
	d := newDecoder()
	var c Config
	d.decode("", root, reflect.ValueOf(&c).Elem())
	errs = append(errs, d.errs...)

	present := func(path string) bool { _, ok := d.lines[path]; return ok }
	applyDefaults(&c, present)

	bad := map[string]bool{}
	for _, e := range errs {
		bad[e.Path] = true
	}
	providers := o.Providers
	if len(providers) == 0 {
		providers = DefaultProviders()
	}
	for _, e := range validate(&c, providers) {
		// A field that failed to decode (or to expand) was already
		// reported; its zero value would only add noise.
		if underBad(e.Path, bad) {
			continue
		}
		e.Line = lineOf(e.Path, d.lines)
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return &c, nil
}

// parseDocument parses data as exactly one YAML document and returns its
// root node.
func parseDocument(data []byte) (*yaml.Node, *FieldError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FieldError{Msg: "config is empty"}
		}
		return nil, &FieldError{Msg: "invalid YAML: " + yamlMessage(err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &FieldError{Line: extra.Line, Msg: "config must be a single YAML document"}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, &FieldError{Msg: "config is empty"}
	}
	return doc.Content[0], nil
}

// underBad reports whether path or one of its parents is in bad.
func underBad(path string, bad map[string]bool) bool {
	for p := path; ; p = parentPath(p) {
		if bad[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// lineOf returns the line of path, or of its nearest parent present in the
// document (a missing field is reported at the line of its owner).
func lineOf(path string, lines map[string]int) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := lines[p]; ok {
			return l
		}
	}
	return 0
}

// parentPath drops the last element of a path: "a[0].b" → "a[0]" → "a" → "".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}
