package azure

import (
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzDecode feeds arbitrary bodies to the request decoder under every
// extra-parameters mode: it answers each with a request or an error body
// with a 4xx status, never a panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{helloBody, `{"messages":[{"role":"tool","tool_call_id":"x"}]}`, `{"messages":[{"content":[{"type":"text"}]}],"safe_prompt":1}`, `1`} {
		f.Add(s, "")
		f.Add(s, "pass-through")
	}
	f.Fuzz(func(t *testing.T, body, mode string) {
		var p fastjson.Parser
		v, err := p.Parse(body)
		if err != nil {
			return
		}
		req, status, b := decode(v, mode)
		if (req == nil) == (b == nil) || (b != nil && (status < 400 || status > 499)) {
			t.Fatalf("decode gave request %v, status %d, body %s", req, status, b)
		}
	})
}
