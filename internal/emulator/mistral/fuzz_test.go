package mistral

import (
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzDecode feeds arbitrary bodies to the request validator: it must
// answer every input with a request or details, never panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{plain, toolAsk, toolResult, `{"messages":[1,{"role":7}],"stop":[1]}`, `[]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var p fastjson.Parser
		v, err := p.Parse(body)
		if err != nil {
			return
		}
		req, details := decode(v)
		if (req == nil) == (details == nil) {
			t.Fatalf("decode gave request %v and details %v", req, details)
		}
		if req != nil {
			badToolCallID(&req.conv)
		}
	})
}
