package openaiapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// roundTripBodies are requests whose every field must survive
// DecodeRequest → AppendRequest → DecodeRequest unchanged.
var roundTripBodies = []string{
	// The minimal request.
	`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
	// Every message shape and role.
	`{"model":"m","messages":[{"role":"system","content":"s"},{"role":"developer","content":""},
	 {"role":"user","name":"n","content":[{"type":"text","text":"t"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA==","detail":"auto"}}]},
	 {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"c2","function":{"name":"g"}}]},
	 {"role":"assistant","content":"done"},{"role":"tool","tool_call_id":"c1","content":[{"type":"text","text":"ok"}]}]}`,
	// Every top-level knob, both max-token names, Extra with odd spacing.
	`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.1,"top_p":0.95,"presence_penalty":-0.5,"frequency_penalty":1e-3,
	 "max_tokens":5,"max_completion_tokens":9,"n":3,"seed":-9007199254740993,"stop":["a","\u2028"],"stream":true,
	 "stream_options":{"include_usage":true},"user":"u","metadata":{"a":"1","b":"2"},"parallel_tool_calls":true,
	 "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{ "type": "object", "properties": {} },"strict":false}}],
	 "tool_choice":{"type":"function","function":{"name":"f"}},
	 "response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"},"strict":true}},
	 "logprobs":true,"top_logprobs":2,"reasoning_effort":"low","x-odd key\u00e9":[1, {"b":null}]}`,
	// Escapes and invalid UTF-8 normalise on the first decode.
	"{\"model\":\"m\\u00e9\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\xff\\t<>&\"}],\"stop\":\"x\",\"tool_choice\":\"none\",\"response_format\":{\"type\":\"text\"}}",
}

// checkRoundTrip asserts the round-trip property for one decoded body.
func checkRoundTrip(t *testing.T, body []byte) {
	t.Helper()
	first, err := DecodeRequest(body)
	if err != nil {
		return
	}
	out := AppendRequest(nil, first, first.Model)
	if !json.Valid(out) {
		t.Fatalf("AppendRequest wrote invalid JSON: %s", out)
	}
	second, err := DecodeRequest(out)
	if err != nil {
		t.Fatalf("re-decoding %s: %v", out, err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Fatalf("round trip changed the request (-first +second):\n%s\nencoded: %s", diff, out)
	}
}

func TestRoundTrip(t *testing.T) {
	for i, body := range roundTripBodies {
		t.Run(strings.Repeat("#", i+1), func(t *testing.T) {
			if _, err := DecodeRequest([]byte(body)); err != nil {
				t.Fatalf("seed body does not decode: %v", err)
			}
			checkRoundTrip(t, []byte(body))
		})
	}
}

func TestAppendRequestGolden(t *testing.T) {
	req, err := DecodeRequest([]byte(roundTripBodies[2]))
	if err != nil {
		t.Fatal(err)
	}
	got := AppendRequest(nil, req, "mistral-medium-2508")
	checkGolden(t, "request_full.json", got)
	var m map[string]any
	decodeStrict(t, got, &m)
	// The deployment's model replaces the alias; max_tokens carries
	// max_completion_tokens; Extra members pass through.
	if m["model"] != "mistral-medium-2508" || m["max_tokens"] != 9.0 || m["max_completion_tokens"] != nil || m["reasoning_effort"] != "low" {
		t.Errorf("unexpected members in %s", got)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, b := range roundTripBodies {
		f.Add([]byte(b))
	}
	f.Add([]byte(benchRequest))
	f.Add([]byte(`{"model":"m","messages":[{"role":"tool","content":"x"}]}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`))
	f.Add([]byte(`[{"a":"\u00"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkRoundTrip(t, body) // a panic fails the fuzz run by itself
		// The server's aliasing decode must say exactly the same.
		want, wantErr := DecodeRequest(body)
		got, gotErr := DecodeOwned(bytes.Clone(body))
		if diff := cmp.Diff(want, got); diff != "" || (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("DecodeOwned differs from DecodeRequest (-want +got):\n%s\nerrors %v, %v", diff, wantErr, gotErr)
		}
	})
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x1f\x7f", "é😀", "\xff\xe2\x82", "\u2028\u2029", "<>&", "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON for %q: %s", s, out)
		}
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		// Valid UTF-8 round-trips exactly; each invalid byte becomes U+FFFD.
		if want := string([]rune(s)); got != want {
			t.Fatalf("round trip of %q = %q, want %q", s, got, want)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("valid string %q changed to %q", s, got)
		}
		// The bytes variant used by stream deltas must agree.
		if b := appendJSONString(nil, []byte(s)); string(b) != string(out) {
			t.Fatalf("[]byte escaper wrote %s, string escaper %s", b, out)
		}
		// And our own decoder must read it back like encoding/json.
		sc := newScanner(out)
		if back, err := sc.str(); err != nil || back != got {
			t.Fatalf("scanner read %q, %v; want %q", back, err, got)
		}
	})
}

// FuzzAppendMarshalString holds AppendMarshalString to json.Marshal byte
// for byte: mistralwire relies on it to keep upstream bodies unchanged.
func FuzzAppendMarshalString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x1f\x7f\b\f", "é😀", "\xff\xe2\x82", "\u2028\u2029", "<>&", "\ufffd", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendMarshalString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendMarshalString(%q) = %s, json.Marshal %s", s, got, want)
		}
	})
}

// FuzzScanString compares the scanner's string decoding with encoding/json
// on arbitrary string literals.
func FuzzScanString(f *testing.F) {
	for _, s := range []string{`""`, `"a\nb"`, `"\ud83d\ude00"`, `"\ud800\u0041"`, `"\u00zz"`, "\"\xff\"", `"\q"`, "\"\x01\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		if len(lit) == 0 || lit[0] != '"' {
			return
		}
		var want string
		wantErr := json.Unmarshal([]byte(lit), &want)
		sc := newScanner([]byte(lit))
		got, err := sc.str()
		if err == nil && sc.pos != len(lit) {
			// The scanner stopped at the closing quote: trailing bytes are
			// the caller's business; encoding/json rejects them.
			return
		}
		if (err == nil) != (wantErr == nil) || got != want {
			t.Fatalf("%q: scanner %q, %v; encoding/json %q, %v", lit, got, err, want, wantErr)
		}
	})
}
