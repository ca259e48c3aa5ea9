package openaiapi

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// bigPrompt is a request whose user turn is 64 KB, so a copy of the body
// shows in allocated bytes.
func bigPrompt() []byte {
	return []byte(`{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("lorem ipsum ", 64<<10/12) +
		`"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"logprobs":true}`)
}

// within reports whether s lies inside b's memory.
func within(s string, b []byte) bool {
	p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return len(s) > 0 && p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(b))
}

// DecodeOwned must decode exactly as DecodeRequest does, good and bad
// bodies alike: only where the bytes live differs.
func TestDecodeOwnedMatchesDecodeRequest(t *testing.T) {
	bodies := append([]string{benchRequest, string(bigPrompt()), `{"model":`, `{"model":"m","messages":[]}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`}, roundTripBodies...)
	for i, body := range bodies {
		want, wantErr := DecodeRequest([]byte(body))
		got, gotErr := DecodeOwned([]byte(body))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("body %d: request differs (-DecodeRequest +DecodeOwned):\n%s", i, diff)
		}
		if diff := cmp.Diff(wantErr, gotErr); diff != "" {
			t.Errorf("body %d: error differs:\n%s", i, diff)
		}
	}
}

// The big strings alias the body (that is the point); the model name does
// not, since it outlives the request as a label and must not pin the body.
func TestDecodeOwnedAliases(t *testing.T) {
	body := bigPrompt()
	req, err := DecodeOwned(body)
	if err != nil {
		t.Fatal(err)
	}
	if !within(req.Messages[0].Content, body) {
		t.Error("content was copied out of the body")
	}
	if p := req.Tools[0].Parameters; cap(p) != len(p) {
		t.Errorf("raw parameters have spare capacity %d: an append would write over the body", cap(p)-len(p))
	}
	if within(req.Model, body) {
		t.Error("the model name aliases the body")
	}
}

// TestDecodeOwnedNoAllocs guards issue 11's "one copy of the body": decoding
// a 64 KB prompt with DecodeOwned allocates a few hundred bytes of structure,
// while any copy of the body (DecodeRequest's string, a copied content)
// costs at least 64 KB. The bound sits far between the two.
func TestDecodeOwnedNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	body := bigPrompt()
	owned := allocatedBytes(t, func() { _, _ = DecodeOwned(body) })
	copied := allocatedBytes(t, func() { _, _ = DecodeRequest(body) })
	if limit := uint64(len(body) / 8); owned > limit {
		t.Errorf("DecodeOwned allocates %d bytes for a %d-byte body, want at most %d (a copy of the body?)", owned, len(body), limit)
	}
	if copied < uint64(len(body)) {
		t.Errorf("DecodeRequest allocates %d bytes, less than its copy of the body: the measurement is broken", copied)
	}
}

// allocatedBytes is the fewest heap bytes one call of f allocated over a
// few runs: the minimum ignores a run in which the garbage collector
// emptied a pool, while a copy of the body shows in every run.
func allocatedBytes(t *testing.T, f func()) uint64 {
	t.Helper()
	f() // warm up (a pooled buffer grows once)
	least := uint64(math.MaxUint64)
	var before, after runtime.MemStats
	for range 10 {
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}
