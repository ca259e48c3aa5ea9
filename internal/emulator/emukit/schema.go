package emukit

import "sort"

// maxSchemaDepth bounds Example's recursion on hostile or deeply nested schemas.
const maxSchemaDepth = 8

// Example builds a deterministic value that fits a decoded JSON Schema:
// strings get value (or the first enum entry), numbers 1, booleans true,
// arrays one item, objects their properties. With all false an object gets
// only its required properties (tool arguments); with all true every
// property (structured output). Unknown shapes give value.
func Example(schema any, value string, all bool) any {
	return example(schema, value, all, 0)
}

func example(schema any, value string, all bool, depth int) any {
	s, ok := schema.(map[string]any)
	if !ok || depth > maxSchemaDepth {
		return value
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	if c, ok := s["const"]; ok {
		return c
	}
	for _, key := range [...]string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := s[key].([]any); ok && len(alts) > 0 {
			return example(alts[0], value, all, depth+1)
		}
	}
	switch schemaType(s) {
	case "object":
		return exampleObject(s, value, all, depth)
	case "array":
		return []any{example(s["items"], value, all, depth+1)}
	case "integer", "number":
		return 1
	case "boolean":
		return true
	case "null":
		return nil
	}
	return value
}

// schemaType reads "type", taking the first non-null entry of a type list and
// treating a schema with properties as an object.
func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		for _, e := range t {
			if name, ok := e.(string); ok && name != "null" {
				return name
			}
		}
	}
	if _, ok := s["properties"]; ok {
		return "object"
	}
	return ""
}

func exampleObject(s map[string]any, value string, all bool, depth int) any {
	props, _ := s["properties"].(map[string]any)
	out := map[string]any{}
	var names []string
	if all {
		for name := range props {
			names = append(names, name)
		}
		sort.Strings(names)
	} else if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				names = append(names, name)
			}
		}
	}
	for _, name := range names {
		out[name] = example(props[name], value, all, depth+1)
	}
	return out
}
