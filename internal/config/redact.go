package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// redactedValue replaces secrets in Redacted output.
const redactedValue = "[redacted]"

// maxOptionNodes bounds the nodes Redacted copies from one options block;
// real blocks have a dozen.
const maxOptionNodes = 10_000

// Redacted returns the effective config (defaults applied) as YAML with
// every secret replaced by "[redacted]": Secret fields redact themselves,
// and inside a deployment's options block any value under a key that looks
// like a credential (key, secret, token, password, credential, private) is
// redacted too, since the adapter's schema is unknown here. Anchors and
// aliases in options are flattened so the output stands alone.
func (c *Config) Redacted() ([]byte, error) {
	cp := *c
	cp.Models = make([]Model, len(c.Models))
	for i, m := range c.Models {
		m.Deployments = append([]Deployment(nil), m.Deployments...)
		for j := range m.Deployments {
			o := &m.Deployments[j].Options
			if !isNull(o) {
				budget := maxOptionNodes
				*o = *sanitize(o, false, 0, &budget)
			}
		}
		cp.Models[i] = m
	}
	var root yaml.Node
	if err := root.Encode(&cp); err != nil {
		return nil, err
	}
	dropNullOptions(&root)
	escapeRefs(&root)
	return yaml.Marshal(&root)
}

// escapeRefs writes every "${" in a value as "$${", so that the output,
// whose references are already expanded, loads back to the same values.
func escapeRefs(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		n.Value = strings.ReplaceAll(n.Value, "${", "$${")
	}
	for _, c := range n.Content {
		escapeRefs(c)
	}
}

// sanitize deep-copies n with aliases resolved, anchors and comments
// dropped, and scalars redacted where redact is set or their key looks
// secret. budget bounds the nodes copied, so an alias bomb cannot blow up.
func sanitize(n *yaml.Node, redact bool, depth int, budget *int) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil && depth < 64 {
		n, depth = n.Alias, depth+1
	}
	if *budget--; *budget < 0 || depth >= 64 || n.Kind == yaml.AliasNode {
		// A cycle, an absurd nesting or an alias bomb: print nothing rather
		// than loop.
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	out := &yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value}
	switch n.Kind {
	case yaml.ScalarNode:
		if redact && n.Value != "" && !isNull(n) {
			out.Tag, out.Style, out.Value = "!!str", 0, redactedValue
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := sanitize(n.Content[i], false, depth+1, budget)
			out.Content = append(out.Content, k, sanitize(n.Content[i+1], redact || secretKey(k.Value), depth+1, budget))
		}
	default:
		for _, c := range n.Content {
			out.Content = append(out.Content, sanitize(c, redact, depth+1, budget))
		}
	}
	return out
}

// secretKey reports whether an options key probably holds a credential.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"key", "secret", "token", "password", "passwd", "credential", "private"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// dropNullOptions removes "options: null" from every deployment of an
// encoded config: an absent options block is not worth a line.
func dropNullOptions(n *yaml.Node) {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			dropNullOptions(c)
		}
		return
	}
	models := mapValue(n, "models")
	if models == nil {
		return
	}
	for _, m := range models.Content {
		deps := mapValue(m, "deployments")
		if deps == nil {
			continue
		}
		for _, d := range deps.Content {
			for i := 0; i+1 < len(d.Content); i += 2 {
				if d.Content[i].Value == "options" && isNull(d.Content[i+1]) {
					d.Content = append(d.Content[:i], d.Content[i+2:]...)
					break
				}
			}
		}
	}
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
