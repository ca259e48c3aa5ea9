package openaiapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// checkGolden compares got with testdata/name, or rewrites the file with -update.
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

// sseJSON checks that b is exactly one SSE data event and returns its JSON.
func sseJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	rest, ok := bytes.CutPrefix(b, []byte("data: "))
	if !ok {
		t.Fatalf("event %q does not start with data: ", b)
	}
	payload, ok := bytes.CutSuffix(rest, []byte("\n\n"))
	if !ok || bytes.ContainsAny(payload, "\r\n") {
		t.Fatalf("event %q is not one line ended by a blank line", b)
	}
	return payload
}

// decodeStrict checks that b is valid JSON and unmarshals it into v with
// encoding/json, refusing members v does not know.
func decodeStrict(t *testing.T, b []byte, v any) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
