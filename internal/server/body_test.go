package server

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// bigBody is a 64 KB chat request, so a copy of it shows in allocated bytes.
var bigBody = []byte(`{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("lorem ipsum ", 64<<10/12) + `"}]}`)

// bodyRequest is a POST carrying body, with or without a Content-Length.
func bodyRequest(body []byte, chunked bool) *http.Request {
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // hides the length from NewRequest
	}
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", rd)
	if chunked {
		r.ContentLength = -1
	}
	return r
}

func TestReadOwned(t *testing.T) {
	tests := []struct {
		name    string
		r       *http.Request
		limit   int64
		want    string // the body read, when fail is false
		fail    bool
		wantErr gwerr.Kind
	}{
		// The common case: a Content-Length, read at the exact size.
		{"sized", bodyRequest([]byte(`{"a":1}`), false), 100, `{"a":1}`, false, 0},
		// Chunked bodies go through the pooled buffer and are cloned.
		{"chunked", bodyRequest([]byte(`{"a":1}`), true), 100, `{"a":1}`, false, 0},
		// No limit configured and no length: still read whole.
		{"unlimited", bodyRequest(bigBody, true), 0, string(bigBody), false, 0},
		{"too large by length", bodyRequest(bigBody, false), 1000, "", true, gwerr.TooLarge},
		{"too large chunked", bodyRequest(bigBody, true), 1000, "", true, gwerr.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readOwned(httptest.NewRecorder(), tt.r, tt.limit)
			if tt.fail {
				if gwerr.As(err) == nil || gwerr.As(err).Kind != tt.wantErr {
					t.Fatalf("err = %v, want kind %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("readOwned = %.40q, %v; want %.40q", got, err, tt.want)
			}
		})
	}
}

// A body shorter than its Content-Length is a client that went away.
func TestReadOwnedShortBody(t *testing.T) {
	r := bodyRequest([]byte(`{"a":1}`), false)
	r.ContentLength = 100
	_, err := readOwned(httptest.NewRecorder(), r, 1000)
	if e := gwerr.As(err); e == nil || e.Kind != gwerr.Canceled {
		t.Fatalf("err = %v, want a Canceled error", err)
	}
}

// TestReadOwnedNoAllocs guards issue 11's "one copy of the body": reading a
// 64 KB body with a Content-Length allocates the body once, and nothing of
// its size besides (a second copy would add 64 KB). The chunked path reads
// into a pooled buffer and clones: also one body-sized allocation.
func TestReadOwnedNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, chunked := range []bool{false, true} {
		got := bytesPerRun(func() {
			if _, err := readOwned(httptest.NewRecorder(), bodyRequest(bigBody, chunked), 1<<20); err != nil {
				t.Fatal(err)
			}
		})
		if limit := uint64(len(bigBody)) + 16<<10; got > limit {
			t.Errorf("chunked=%v: readOwned allocates %d bytes for a %d-byte body, want at most %d (a second copy?)",
				chunked, got, len(bigBody), limit)
		}
	}
}

// bytesPerRun is the fewest heap bytes one call of f allocated over a
// few runs: the minimum ignores a run in which the garbage collector
// emptied a pool, while a copy of the body shows in every run.
func bytesPerRun(f func()) uint64 {
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
