package mistral

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// BenchmarkChat measures the emulator's own cost per request (no network),
// so benchmarks of the gateway can tell it is not the bottleneck.
func BenchmarkChat(b *testing.B) {
	for _, tc := range []struct{ name, body string }{{"nonstream", plain}, {"stream", plainSt}, {"tool_call", toolAsk}} {
		b.Run(tc.name, func(b *testing.B) {
			s := New(emukit.Options{APIKey: key})
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(tc.body))
				req.Header.Set("Authorization", "Bearer "+key)
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
