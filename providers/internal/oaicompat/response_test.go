package oaicompat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/llm"
)

// The reference for these tests is decodeReflect: the encoding/json
// decoder as it was before DecodeResponse moved to fastjson, unchanged.

// testMapID stands for an adapter's id map: it shows that DecodeResponse
// maps every tool-call id, null ones included, exactly as before.
func testMapID(id string) string { return "mapped:" + id }

// checkSame decodes body both ways and fails on any difference in the
// response, the in-band error, or the error and its message. It reports
// whether the fastjson walk took the body itself.
func checkSame(t *testing.T, body []byte) (fast bool) {
	t.Helper()
	want, wantIB, wantErr := decodeReflect(body, testMapID)
	got, gotIB, gotErr := DecodeResponse(body, testMapID)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("response differs from encoding/json's (-want +got):\n%s\nbody: %q", d, body)
	}
	if d := cmp.Diff(wantIB, gotIB); d != "" {
		t.Errorf("in-band error differs (-want +got):\n%s\nbody: %q", d, body)
	}
	if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Errorf("error = %v, encoding/json's %v\nbody: %q", gotErr, wantErr, body)
	}
	_, _, fast = new(decoder).decode(body)
	return fast
}

// responseFixtures are the recorded chat.completion bodies of the adapters
// that decode with DecodeResponse.
func responseFixtures(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, dir := range []string{"../mistralwire/testdata/response", "../../openrouter/testdata/response"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.in.json"))
		if err != nil || len(files) == 0 {
			tb.Fatalf("no fixtures in %s: %v", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			out[filepath.Base(filepath.Dir(dir))+"/"+strings.TrimSuffix(filepath.Base(f), ".in.json")] = b
		}
	}
	return out
}

// Every recorded body decodes as before, and all but the broken one on the
// fast path: a fixture falling back to encoding/json would hide a walk that
// no longer reads real answers.
func TestDecodeResponseFixtures(t *testing.T) {
	for name, body := range responseFixtures(t) {
		t.Run(name, func(t *testing.T) {
			if fast := checkSame(t, body); !fast && !strings.HasSuffix(name, "/malformed") {
				t.Error("took the encoding/json fallback")
			}
		})
	}
}

// oddBodies are inputs where a hand-written decoder most easily parts from
// encoding/json; fast says whether the walk keeps them (else it hands them
// to decodeReflect, which then decides).
var oddBodies = []struct {
	name, body string
	fast       bool
}{
	{"escapes", `{"choices":[{"message":{"content":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00\u0000"}}]}`, true},
	{"raw multi-byte", `{"id":"é€😀","choices":[{}]}`, true},
	{"surrogate pair in tool arguments", `{"choices":[{"message":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{\"e\":\"\\ud83d\\ude00\"}"}}]}}]}`, true},
	// encoding/json turns each of these into U+FFFD; the walk leaves them.
	{"lone high surrogate", `{"choices":[{"message":{"content":"x\ud83dy"}}]}`, false},
	{"lone low surrogate", `{"choices":[{"message":{"content":"\ude00"}}]}`, false},
	{"high surrogate then non-surrogate", `{"choices":[{"message":{"content":"\ud83d\u0041"}}]}`, false},
	{"high surrogate at end", `{"id":"\ud83d","choices":[{}]}`, false},
	{"invalid UTF-8", "{\"model\":\"a\xffb\",\"choices\":[{}]}", false},
	{"UTF-8 encoded surrogate", "{\"model\":\"\xed\xa0\x80\",\"choices\":[{}]}", false},
	{"invalid UTF-8 in an ignored member", "{\"x\":\"\xff\",\"choices\":[{}]}", true},
	{"invalid UTF-8 in a key", "{\"\xff\":1,\"choices\":[{}]}", true},
	// encoding/json matches keys case-insensitively, with Unicode folding.
	{"upper-case key", `{"ID":"x","choices":[{}]}`, false},
	{"long s in a key", `{"choice\u017f":[{}]}`, false},
	{"kelvin sign in a key", "{\"choices\":[{}],\"usage\":{\"prompt_tokens_details\":{\"cached_to\u212aens\":5}}}", false},
	{"escaped key", `{"\u0069d":"x","choices":[{}]}`, true},
	{"escaped upper-case key", `{"\u0049d":"x","choices":[{}]}`, false},
	{"unknown mixed-case key", `{"Object":"x","choices":[{}]}`, true},
	// encoding/json merges or overwrites on a repeated key.
	{"repeated id", `{"id":"a","id":"b","choices":[{}]}`, false},
	{"repeated choices", `{"choices":[{},{},{}],"choices":[{}],"choices":[{"index":1},{},{}]}`, false},
	{"repeated usage", `{"choices":[{}],"usage":{"prompt_tokens":1},"usage":{"total_tokens":2}}`, false},
	{"repeated content", `{"choices":[{"message":{"content":[1],"content":"ok"}}]}`, false},
	// Numbers: encoding/json takes only strconv.ParseInt's integers.
	{"float index", `{"choices":[{"index":1.0}]}`, false},
	{"exponent created", `{"created":1e2,"choices":[{}]}`, false},
	{"negative zero", `{"created":-0,"choices":[{"index":-0}]}`, true},
	{"int64 bounds", `{"created":-9223372036854775808,"choices":[{"index":9223372036854775807}]}`, true},
	{"int64 overflow", `{"created":9223372036854775808,"choices":[{}]}`, false},
	{"cost out of range", `{"choices":[{}],"usage":{"cost":1e400}}`, false},
	{"cost underflow", `{"choices":[{}],"usage":{"cost":1e-400}}`, true},
	{"cost exponent", `{"choices":[{}],"usage":{"cost":-2.5E-3}}`, true},
	{"NaN", `{"choices":[{}],"usage":{"cost":NaN}}`, false},
	// Wrong types are errors, but a null keeps the zero value.
	{"string created", `{"created":"1","choices":[{}]}`, false},
	{"number id", `{"id":1,"choices":[{}]}`, false},
	{"choices object", `{"choices":{}}`, false},
	{"choice string", `{"choices":["x"]}`, false},
	{"message array", `{"choices":[{"message":[]}]}`, false},
	{"role number", `{"choices":[{"message":{"role":1}}]}`, false},
	{"tool_calls string", `{"choices":[{"message":{"tool_calls":"x"}}]}`, false},
	{"function string", `{"choices":[{"message":{"tool_calls":[{"function":"f"}]}}]}`, false},
	{"usage array", `{"choices":[{}],"usage":[]}`, false},
	{"details number", `{"choices":[{}],"usage":{"prompt_tokens_details":1}}`, false},
	{"cost string", `{"choices":[{}],"usage":{"cost":"1"}}`, false},
	{"nulls", `{"id":null,"created":null,"model":null,"choices":[null,{"index":null,"message":null,"finish_reason":null},{"message":{"role":null,"content":null,"tool_calls":[null,{"id":null,"function":null},{"function":{"name":null,"arguments":null}}]}}],"usage":{"prompt_tokens":null,"cost":null,"prompt_tokens_details":null},"error":null}`, true},
	{"empty tool_calls", `{"choices":[{"message":{"tool_calls":[]}}]}`, true},
	{"usage empty", `{"choices":[{}],"usage":{}}`, true},
	// Content is anything; only a string or an array of parts is read.
	{"content object", `{"choices":[{"message":{"content":{"a":1}}}]}`, true},
	{"content number", `{"choices":[{"message":{"content":5}}]}`, true},
	{"content empty array", `{"choices":[{"message":{"content":[]}}]}`, true},
	{"content parts", `{"choices":[{"message":{"content":[null,{"type":"text","text":"a"},{"type":"image","text":"x"},{"text":"b","type":"text"},{"type":"text"}]}}]}`, true},
	{"content part string", `{"choices":[{"message":{"content":["a"]}}]}`, false},
	{"content part text number", `{"choices":[{"message":{"content":[{"type":"text","text":1}]}}]}`, false},
	{"content part error under in-band error", `{"error":{"message":"m"},"choices":[{"message":{"content":[1]}}]}`, false},
	// The top level, the in-band error and what is no answer at all.
	{"null body", `null`, false},
	{"array body", `[]`, false},
	{"empty", ``, false},
	{"whitespace around", " \t\r\n{\"choices\":[{}]}\n ", true},
	{"no choices", `{"id":"x"}`, true},
	{"empty choices", `{"choices":[]}`, true},
	{"null choices", `{"choices":null}`, true},
	{"error string", `{"error":"boom"}`, true},
	{"error number code", `{"error":{"code":429,"message":"slow down"},"choices":[{}]}`, true},
	{"error with wrong-typed choices", `{"error":{"message":"m"},"choices":1}`, false},
	// Syntax that fastjson's parser takes and encoding/json does not.
	{"control character", "{\"id\":\"a\x01\",\"choices\":[{}]}", false},
	// fastjson's validator only looks after a string's last escape.
	{"control character before an escape", "{\"x\":\"\x00\\\\b\",\"choices\":[{}]}", false},
	{"tab in a key before an escape", "{\"a\tb\\\\n\":1,\"choices\":[{}]}", false},
	{"pretty-printed", "{\n\t\"choices\": [\r\n {}\n]\n}", true},
	{"bad escape", `{"id":"\x","choices":[{}]}`, false},
	{"short unicode escape", `{"id":"\u12","choices":[{}]}`, false},
	{"leading zero", `{"created":01,"choices":[{}]}`, false},
	{"plus sign", `{"created":+1,"choices":[{}]}`, false},
	{"trailing garbage", `{"choices":[{}]}x`, false},
	{"inf", `{"x":inf,"choices":[{}]}`, false},
	// encoding/json nests 10,000 deep, fastjson 300.
	{"deep ignored member", `{"x":` + strings.Repeat("[", 400) + strings.Repeat("]", 400) + `,"choices":[{}]}`, false},
	{"too deep for both", `{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, false},
}

func TestDecodeResponseOddBodies(t *testing.T) {
	for _, c := range oddBodies {
		t.Run(c.name, func(t *testing.T) {
			if fast := checkSame(t, []byte(c.body)); fast != c.fast {
				t.Errorf("fast path = %v, want %v", fast, c.fast)
			}
		})
	}
}

// The response owns its strings: decoding another body with the decoder
// the first one went back to leaves the first response as it was.
func TestDecodeResponseOwnsStrings(t *testing.T) {
	body := []byte(mistralText)
	resp, _, err := DecodeResponse(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := *resp
	before.Choices = append(before.Choices[:0:0], resp.Choices...)
	for i := range body {
		body[i] = 'x'
	}
	for range 4 {
		if _, _, err := DecodeResponse([]byte(mistralTools), nil); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff(&before, resp); d != "" {
		t.Errorf("response changed under a reused decoder (-before +after):\n%s", d)
	}
}

// FuzzDecodeResponse holds DecodeResponse to encoding/json's results for
// any body: same response, in-band error, error and message.
func FuzzDecodeResponse(f *testing.F) {
	for _, body := range responseFixtures(f) {
		f.Add(body)
	}
	for _, c := range oddBodies {
		if len(c.body) < 1000 {
			f.Add([]byte(c.body))
		}
	}
	f.Add([]byte(mistralText))
	f.Add([]byte(mistralTools))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSame(t, body)
	})
}

// mistralText is a typical Mistral answer, as BenchmarkDecodeResponse's
// common case.
const mistralText = `{"id":"2f4c8b1e9a7d4e0f8c3b6a5d4e3f2a1b","object":"chat.completion","created":1732548656,` +
	`"model":"mistral-large-latest","choices":[{"index":0,"message":{"role":"assistant","tool_calls":null,` +
	`"content":"The capital of France is Paris. It has been the seat of government for most of the last ` +
	`thousand years and is known for the Eiffel Tower, the Louvre and its cafés along the Seine."},` +
	`"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"total_tokens":58,"completion_tokens":46}}`

// mistralTools is a Mistral answer calling two tools.
const mistralTools = `{"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion","created":1702256327,` +
	`"model":"mistral-large-latest","choices":[{"index":0,"message":{"role":"assistant","content":"",` +
	`"tool_calls":[{"id":"D681PevKs","type":"function","function":{"name":"get_weather",` +
	`"arguments":"{\"city\": \"Oslo\", \"unit\": \"celsius\"}"},"index":0},{"id":"tBziUm3pE","type":"function",` +
	`"function":{"name":"get_weather","arguments":"{\"city\": \"Paris\", \"unit\": \"celsius\"}"},"index":1}]},` +
	`"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":80,"completion_tokens":40,"total_tokens":120}}`

// BenchmarkDecodeResponse compares the fastjson walk with the encoding/json
// decoder it replaced, on a text answer and a tool-call answer.
func BenchmarkDecodeResponse(b *testing.B) {
	for _, body := range []struct{ name, body string }{{"text", mistralText}, {"tools", mistralTools}} {
		for _, dec := range []struct {
			name string
			fn   func([]byte, func(string) string) (*llm.ChatResponse, *InBandError, error)
		}{{"encoding_json", decodeReflect}, {"fastjson", DecodeResponse}} {
			b.Run(body.name+"/"+dec.name, func(b *testing.B) {
				data := []byte(body.body)
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := dec.fn(data, testMapID); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
