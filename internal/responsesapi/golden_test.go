package responsesapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s mismatch:\nwant %s\ngot  %s", name, want, got)
	}
}

// indent pretty-prints JSON so golden files diff well; invalid JSON fails.
func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return append(out.Bytes(), '\n')
}

// sse splits a stream into its events and checks each is
// "event: T\ndata: {…"type":"T"…}\n\n" with consecutive sequence numbers.
func sse(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, raw := range bytes.SplitAfter(b, []byte("\n\n")) {
		if len(raw) == 0 {
			continue
		}
		lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n\n")), []byte("\n"))
		if len(lines) != 2 || !bytes.HasPrefix(lines[0], []byte("event: ")) || !bytes.HasPrefix(lines[1], []byte("data: ")) {
			t.Fatalf("event %q is not an event line and a data line", raw)
		}
		var ev map[string]any
		if err := json.Unmarshal(lines[1][6:], &ev); err != nil {
			t.Fatalf("event data %s: %v", lines[1], err)
		}
		if ev["type"] != string(lines[0][7:]) {
			t.Fatalf("event %q has data type %v", lines[0], ev["type"])
		}
		if seq, _ := ev["sequence_number"].(float64); int(seq) != len(evs) {
			t.Fatalf("event %d has sequence_number %v", len(evs), ev["sequence_number"])
		}
		if _, ok := ev["error"]; ok {
			t.Fatalf("event %d has a top-level error member: SDKs would take it for a stream error", len(evs))
		}
		evs = append(evs, ev)
	}
	return evs
}
