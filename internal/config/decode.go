package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// FieldError is one problem with one field of a configuration.
type FieldError struct {
	// Path names the field: "models[0].deployments[2].weight". Empty means
	// the document as a whole.
	Path string
	// Line is the 1-based line in the file, 0 when unknown.
	Line int
	// Msg says what is wrong. It never contains a secret's value.
	Msg string
}

// Error formats the problem as "path: message (line N)".
func (e *FieldError) Error() string {
	s := e.Msg
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d)", e.Line)
	}
	return s
}

// maxDecodeSteps bounds the work of one decode, so alias bombs fail
// instead of eating memory.
const maxDecodeSteps = 100_000

var (
	nodeType         = reflect.TypeFor[yaml.Node]()
	unmarshalerType  = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshaler  = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeDurationType = reflect.TypeFor[time.Duration]()
)

// decoder strictly decodes a yaml.Node tree into Go values: unknown and
// duplicate keys are errors, and every error carries its path and line.
// Unlike yaml.v3's own decoder it keeps going after an error and never
// echoes a scalar's value, which may have come from a secret.
type decoder struct {
	errs []*FieldError
	// lines records the line of every path present in the document.
	lines  map[string]int
	steps  int
	active map[*yaml.Node]bool // aliases and merges being followed, to catch cycles
}

func newDecoder() *decoder {
	return &decoder{lines: map[string]int{}, active: map[*yaml.Node]bool{}}
}

func (d *decoder) fail(path string, line int, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// decode fills v from n.
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if d.steps++; d.steps > maxDecodeSteps {
		if d.steps == maxDecodeSteps+1 {
			d.fail(path, n.Line, "document too large or too many aliases")
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || d.active[n] {
			d.fail(path, n.Line, "alias refers to itself")
			return
		}
		d.active[n] = true
		defer delete(d.active, n)
		d.decode(path, n.Alias, v)
		return
	}
	if isNull(n) {
		return // an empty value leaves the zero value (and its default)
	}
	t := v.Type()
	switch {
	case t == nodeType:
		v.Set(reflect.ValueOf(*n))
	case reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshaler):
		d.leaf(path, n, v, "")
	case t.Kind() == reflect.Pointer:
		p := reflect.New(t.Elem())
		d.decode(path, n, p.Elem())
		v.Set(p)
	case t.Kind() == reflect.Struct:
		d.structure(path, n, v)
	case t.Kind() == reflect.Slice:
		d.sequence(path, n, v)
	case t.Kind() == reflect.Map:
		d.mapping(path, n, v)
	default:
		d.leaf(path, n, v, expectation(t))
	}
}

// leaf decodes a scalar (or an Unmarshaler) with yaml.v3 itself. want, when
// set, replaces yaml's message so that no value is echoed.
func (d *decoder) leaf(path string, n *yaml.Node, v reflect.Value, want string) {
	if want != "" && n.Kind != yaml.ScalarNode && v.Kind() != reflect.Interface {
		d.fail(path, n.Line, "must be %s", want)
		return
	}
	p := reflect.New(v.Type())
	if err := n.Decode(p.Interface()); err != nil {
		if want != "" {
			d.fail(path, n.Line, "must be %s", want)
		} else {
			d.fail(path, n.Line, "%s", yamlMessage(err))
		}
		return
	}
	v.Set(p.Elem())
}

// expectation words what a scalar of type t must look like.
func expectation(t reflect.Type) string {
	if t == timeDurationType {
		return "a duration such as 30s"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// yamlMessage strips yaml.v3's "yaml: " prefixes from an error.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n.Line, "must be a mapping")
		return
	}
	fields := structFields(v.Type())
	seen := map[string]int{}
	for _, kv := range d.pairs(path, n) {
		key := kv.key.Value
		child := joinPath(path, key)
		if first, dup := seen[key]; dup {
			d.fail(child, kv.key.Line, "duplicate key; first at line %d", first)
			continue
		}
		seen[key] = kv.key.Line
		idx, ok := fields[key]
		if !ok {
			d.fail(child, kv.key.Line, "unknown field%s", suggest(key, fields))
			continue
		}
		d.lines[child] = kv.key.Line
		d.decode(child, kv.val, v.Field(idx))
	}
}

func (d *decoder) sequence(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(path, n.Line, "must be a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		child := fmt.Sprintf("%s[%d]", path, i)
		d.lines[child] = c.Line
		d.decode(child, c, s.Index(i))
	}
	v.Set(s)
}

func (d *decoder) mapping(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n.Line, "must be a mapping")
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for _, kv := range d.pairs(path, n) {
		child := joinPath(path, kv.key.Value)
		if first, dup := seen[kv.key.Value]; dup {
			d.fail(child, kv.key.Line, "duplicate key; first at line %d", first)
			continue
		}
		seen[kv.key.Value] = kv.key.Line
		k := reflect.New(v.Type().Key())
		if err := kv.key.Decode(k.Interface()); err != nil {
			d.fail(child, kv.key.Line, "key must be %s", expectation(v.Type().Key()))
			continue
		}
		d.lines[child] = kv.key.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(child, kv.val, e)
		m.SetMapIndex(k.Elem(), e)
	}
	v.Set(m)
}

// pair is one key and value of a mapping.
type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's entries, with "<<" merge keys resolved: explicit
// keys first (duplicates kept, for the caller to report), then merged keys
// no explicit key overrides. Non-scalar keys are reported and dropped.
func (d *decoder) pairs(path string, n *yaml.Node) []pair {
	if d.active[n] {
		d.fail(path, n.Line, "merge refers to itself")
		return nil
	}
	d.active[n] = true
	defer delete(d.active, n)
	var explicit, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.fail(path, k.Line, "mapping keys must be strings")
		case k.ShortTag() == "!!merge":
			merged = append(merged, d.mergeSource(path, val, 0)...)
		default:
			explicit = append(explicit, pair{k, val})
		}
	}
	have := map[string]bool{}
	for _, p := range explicit {
		have[p.key.Value] = true
	}
	out := explicit
	for _, p := range merged {
		if !have[p.key.Value] {
			have[p.key.Value] = true
			out = append(out, p)
		}
	}
	return out
}

// mergeSource returns the pairs a "<<" value contributes: one mapping, or
// a list of them where earlier ones win.
func (d *decoder) mergeSource(path string, n *yaml.Node, depth int) []pair {
	if depth > 32 {
		d.fail(path, n.Line, "merge nested too deeply")
		return nil
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return d.mergeSource(path, n.Alias, depth+1)
	}
	switch n.Kind {
	case yaml.MappingNode:
		return d.pairs(path, n)
	case yaml.SequenceNode:
		var out []pair
		for _, c := range n.Content {
			out = append(out, d.mergeSource(path, c, depth+1)...)
		}
		return out
	}
	d.fail(path, n.Line, "merge value must be a mapping or a list of mappings")
	return nil
}

// isNull reports whether n is an empty value ("", ~, null).
func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// structFields maps each yaml key of struct type t to its field index.
func structFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = i
	}
	return out
}

// suggest returns ` (did you mean "x"?)` for the known key closest to key,
// if one is within two edits.
func suggest(key string, fields map[string]int) string {
	best, bestDist := "", 3
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic among equal distances
	for _, name := range names {
		if dist := editDistance(key, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// joinPath appends key to a dotted path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// DecodeOptions strictly decodes a deployment's provider-specific options
// block into into, which must be a non-nil pointer to the adapter's struct.
// Unknown and duplicate keys are errors; every error names its path under
// "options" and its line in the config file. An empty or absent block
// leaves into untouched. ${ENV} references were already expanded by Load.
func DecodeOptions(node yaml.Node, into any) error {
	v := reflect.ValueOf(into)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return errors.New("config: DecodeOptions needs a non-nil pointer")
	}
	if isNull(&node) {
		return nil
	}
	d := newDecoder()
	d.decode("options", &node, v.Elem())
	return joinErrors(d.errs)
}

// joinErrors sorts problems by line (unknown lines last) and joins them.
func joinErrors(errs []*FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool {
		li, lj := errs[i].Line, errs[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}
