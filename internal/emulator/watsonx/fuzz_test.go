package watsonx

import (
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzDecode feeds arbitrary bodies to the request validator: it must
// answer every input with a request or a validation error, never panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{plain, `{"model_id":"m","space_id":"s","messages":[{"role":"tool"}],"tool_choice":"auto"}`,
		`{"messages":[1,{"role":7}],"stop":[1]}`, `[]`, `{"model_id":"m","project_id":"p","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var p fastjson.Parser
		v, err := p.Parse(body)
		if err != nil {
			return
		}
		req, bad := decode(v)
		if (req == nil) == (bad == nil) {
			t.Fatalf("decode gave request %v and error %v", req, bad)
		}
		if req != nil {
			badToolCallID(&req.conv)
		}
	})
}
