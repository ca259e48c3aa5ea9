package openrouter

import (
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzDecode feeds arbitrary bodies to the request decoder: it must answer
// every input with a request or a message, never panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{plain, toolAsk, toolAskSt, `{"models":["x"],"messages":[{"role":"user","content":[{"type":"text"}]}]}`, `1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var p fastjson.Parser
		v, err := p.Parse(body)
		if err != nil {
			return
		}
		if req, msg := decode(v); (req == nil) == (msg == "") {
			t.Fatalf("decode gave request %v and message %q", req, msg)
		}
	})
}
