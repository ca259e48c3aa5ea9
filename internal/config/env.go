package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// expandTree replaces ${VAR} and ${VAR:-default} references in every scalar
// value of the tree. Keys are left alone, and so are comments: expansion
// runs on parsed values, so a reference in a comment never matters and an
// expanded value is never parsed as YAML (a value containing ": " or "#"
// stays one string). Alias nodes are skipped: their anchor is expanded
// where it is defined.
func expandTree(path string, n *yaml.Node, getenv func(string) string, errs *[]*FieldError) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			expandTree(path, c, getenv, errs)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			expandTree(fmt.Sprintf("%s[%d]", path, i), c, getenv, errs)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandTree(joinPath(path, n.Content[i].Value), n.Content[i+1], getenv, errs)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		v, err := expand(n.Value, getenv)
		if err != nil {
			*errs = append(*errs, &FieldError{Path: path, Line: n.Line, Msg: err.Error()})
			return
		}
		n.Value = v
		retag(n)
	}
}

// retag re-resolves a plain scalar's implicit tag after expansion, so that
// "weight: ${W}" with W=3 decodes as an integer. Quoted and explicitly
// tagged scalars keep their tag. A value that would resolve to null or a
// merge key stays a string: an environment variable holding "null" is text.
func retag(n *yaml.Node) {
	if n.Style != 0 {
		return
	}
	n.Tag = ""
	switch tag := n.ShortTag(); tag {
	case "!!null", "!!merge":
		n.Tag = "!!str"
	default:
		n.Tag = tag
	}
}

// expand substitutes references in s. ${NAME} must be set and non-empty;
// ${NAME:-default} falls back to default when NAME is unset or empty; $${
// is a literal "${". A bare $NAME is not a reference. Errors name the
// variables, never their values.
func expand(s string, getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var b strings.Builder
	var missing []string
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte(s[i])
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ reference (want ${NAME} or ${NAME:-default})")
		}
		ref := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validEnvName(name) {
			return "", fmt.Errorf("invalid reference ${%s} (want ${NAME} or ${NAME:-default})", name)
		}
		val := getenv(name)
		if val == "" {
			if !hasDef {
				missing = append(missing, name)
			}
			val = def
		}
		b.WriteString(val)
		i += 2 + end + 1
	}
	switch len(missing) {
	case 0:
		return b.String(), nil
	case 1:
		return "", fmt.Errorf("environment variable %s is not set", missing[0])
	}
	return "", fmt.Errorf("environment variables %s are not set", strings.Join(missing, ", "))
}

// validEnvName reports whether s is a shell-style variable name.
func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}
