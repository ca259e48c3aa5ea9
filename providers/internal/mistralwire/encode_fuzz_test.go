package mistralwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// The append encoder must write exactly what json.Marshal of the old wire
// struct wrote (reference_test.go), and fail where it failed with the same
// client-facing error, for any request: upstream caches and anything that
// signs or hashes a body see the same bytes as before.

// FuzzEncodeMatchesMarshal builds a request from the fuzzer's bytes and
// compares both encoders.
//
//	go test -run '^$' -fuzz FuzzEncodeMatchesMarshal -fuzztime 3m ./providers/internal/mistralwire/
func FuzzEncodeMatchesMarshal(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("seed: a conversation with tools <b>&\u2028\xff"))
	r := rand.New(rand.NewPCG(1, 2))
	for range 32 {
		b := make([]byte, 64+r.IntN(512))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { compareEncoders(t, data) })
}

// TestEncodeMatchesMarshal runs the same comparison over pseudo-random
// requests in every go test run, not only under -fuzz.
func TestEncodeMatchesMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		b := make([]byte, r.IntN(1024))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		compareEncoders(t, b)
		if t.Failed() {
			return
		}
	}
}

func compareEncoders(t *testing.T, data []byte) {
	t.Helper()
	g := &gen{data: data}
	req := g.request()
	d := Dialect{}
	if g.bool() {
		d = Vertex
	}
	model, stream := g.str(), g.bool()
	want, wantIDs, wantErr := d.refEncode(req, model, stream)
	got, gotIDs, gotErr := d.encode(req, model, stream)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("errors differ: json.Marshal path %v, append path %v\nrequest %#v", wantErr, gotErr, req)
	}
	if wantErr != nil {
		var we, ge *gwerr.Error
		if !errors.As(wantErr, &we) || !errors.As(gotErr, &ge) || we.Kind != ge.Kind || we.Message != ge.Message {
			t.Fatalf("errors differ: json.Marshal path %v, append path %v", wantErr, gotErr)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("bodies differ\njson.Marshal: %s\nappend:       %s", want, got)
	}
	if !reflect.DeepEqual(gotIDs, wantIDs) {
		t.Fatalf("id maps differ: %+v vs %+v", gotIDs, wantIDs)
	}
}

// gen turns bytes into choices; once they run out every choice is zero,
// so the rare choices that make a request invalid are the high ones.
type gen struct {
	data []byte
}

func (g *gen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

func (g *gen) intn(n int) int { return int(g.byte()) % n }
func (g *gen) bool() bool     { return g.byte()&1 == 1 }

// interesting are strings whose escaping differs between encoders if any
// does: HTML characters, JavaScript separators, invalid UTF-8, controls.
var interesting = []string{
	"", "hello", "a<b>&c", "\u2028x\u2029", "\xff\xfe", "é😀\ufffd", "\"\\\n\t\b\f\r\x00\x1f\x7f",
	"call_0fypS1hVX", "Ab3dE6gH9", "</script>", "\xe2\x80", "\xed\xa0\x80",
}

func (g *gen) str() string {
	switch k := g.intn(4); k {
	case 0, 1:
		return interesting[g.intn(len(interesting))]
	default:
		n := g.intn(24)
		if n > len(g.data) {
			n = len(g.data)
		}
		s := string(g.data[:n])
		g.data = g.data[n:]
		return s
	}
}

// raws are JSON members as clients send them: spaced, escaped, with HTML
// and separators in strings; badRaws are not JSON (or empty but not nil).
var raws = []json.RawMessage{
	nil, json.RawMessage(`{}`), json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`),
	json.RawMessage(" {\n\t\"a\" : [1, 2 ,\"x y\"] }\r\n"), json.RawMessage(`{"d":"<b>&amp;</b>"}`),
	json.RawMessage("{\"s\":\"\u2028\u2029\"}"), json.RawMessage(`[]`),
	json.RawMessage(`null`), json.RawMessage(`"str"`), json.RawMessage(`{"a":"\u003c\\\"<"}`),
	json.RawMessage("{\"k\":\"\xff\"}"), json.RawMessage(`1e5`),
	json.RawMessage(`{"a":"\\"}`), json.RawMessage(`{"a":-0.0e+1,"b":true,"c":null}`),
}

var badRaws = []json.RawMessage{json.RawMessage(`{nope`), json.RawMessage{}, json.RawMessage(`{"a":1}x`), json.RawMessage(` `)}

func (g *gen) raw() json.RawMessage {
	switch g.intn(20) {
	case 18:
		return json.RawMessage(g.str())
	case 19:
		return badRaws[g.intn(len(badRaws))]
	}
	return raws[g.intn(len(raws))]
}

var floats = []float64{0, math.Copysign(0, -1), 0.7, 1e-7, 1e-6, 9.99e-7, 1e21, 1e20, 123456789.125, -2.5e-300,
	5e-324, math.MaxFloat64, 1, 100, 0.2}

var nonFinite = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}

func (g *gen) optFloat() *float64 {
	switch g.intn(4) {
	case 0:
		return nil
	case 1:
		var bits uint64
		for range 8 {
			bits = bits<<8 | uint64(g.byte())
		}
		f := math.Float64frombits(bits)
		return &f
	}
	f := floats[g.intn(len(floats))]
	if g.intn(40) == 39 {
		f = nonFinite[g.intn(len(nonFinite))]
	}
	return &f
}

func (g *gen) optInt() *int {
	if g.bool() {
		return nil
	}
	n := int(int8(g.byte())) * int(g.byte())
	return &n
}

func (g *gen) optBool() *bool {
	switch g.intn(3) {
	case 0:
		return nil
	case 1:
		return new(bool)
	}
	b := true
	return &b
}

var roles = []llm.Role{llm.RoleSystem, llm.RoleDeveloper, llm.RoleUser, llm.RoleAssistant, llm.RoleTool, "wizard", ""}

func (g *gen) message() llm.Message {
	m := llm.Message{Role: roles[g.intn(len(roles)-2)]}
	if g.intn(40) == 39 {
		m.Role = roles[len(roles)-1-g.intn(2)]
	}
	m.Content, m.Name, m.Prefix = g.str(), g.str(), g.bool()
	if g.intn(3) == 0 {
		m.ToolCallID = g.str()
	}
	for range g.intn(3) * g.intn(2) {
		p := llm.Part{Type: llm.PartText, Text: g.str()}
		switch g.intn(8) {
		case 0, 1, 2:
			p = llm.Part{Type: llm.PartImageURL, ImageURL: g.str(), Detail: g.str()}
		case 3:
			if g.intn(8) == 7 {
				p.Type = "audio"
			}
		}
		m.Parts = append(m.Parts, p)
	}
	for range g.intn(4) * g.intn(2) {
		m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: g.str(), Name: g.str(), Arguments: g.str()})
	}
	return m
}

var modes = []llm.ToolChoiceMode{llm.ToolChoiceAuto, llm.ToolChoiceNone, llm.ToolChoiceRequired, llm.ToolChoiceFunction, "", "sometimes"}

var predictions = []json.RawMessage{
	json.RawMessage(`{"type":"content","content":"the <fixed> text"}`),
	json.RawMessage(`{"type":"content","content":[{"type":"text","text":"a "},{"type":"text","text":"b&"}]}`),
	json.RawMessage(`{"type":"audio"}`), json.RawMessage(`{"type":"content","content":[{"type":"image_url"}]}`),
	json.RawMessage(`null`), json.RawMessage(`{`), json.RawMessage(`{"type":"content","content":""}`),
}

var cacheKeys = []json.RawMessage{
	json.RawMessage(`"conv-42"`), json.RawMessage(`"a<b\u2028"`), json.RawMessage(`1`), json.RawMessage(`null`),
	json.RawMessage(`""`), json.RawMessage(`"x`), json.RawMessage(`"\ud800"`),
}

func (g *gen) request() *llm.ChatRequest {
	req := &llm.ChatRequest{
		Model: g.str(), Temperature: g.optFloat(), TopP: g.optFloat(), MaxTokens: g.optInt(), Stream: g.bool(),
		PresencePenalty: g.optFloat(), FrequencyPenalty: g.optFloat(), N: g.optInt(), ParallelToolCalls: g.optBool(),
		User: g.str(), IncludeUsage: g.bool(),
	}
	if g.bool() {
		s := int64(g.byte())<<56 | int64(g.byte())
		req.Seed = &s
	}
	for range g.intn(3) * g.intn(2) {
		req.Stop = append(req.Stop, g.str())
	}
	if n := g.intn(4) * g.intn(2); n > 0 {
		req.Metadata = map[string]string{}
		for range n {
			req.Metadata[g.str()] = g.str()
		}
	}
	for range g.intn(10) {
		req.Messages = append(req.Messages, g.message())
	}
	for range g.intn(3) * g.intn(2) {
		req.Tools = append(req.Tools, llm.Tool{Name: g.str(), Description: g.str(), Parameters: g.raw(), Strict: g.optBool()})
	}
	if g.intn(3) == 0 {
		mode := modes[g.intn(4)]
		if g.intn(30) == 29 {
			mode = modes[4+g.intn(2)]
		}
		req.ToolChoice = &llm.ToolChoice{Mode: mode, Name: g.str()}
	}
	if g.intn(3) == 0 {
		rf := &llm.ResponseFormat{Type: []llm.ResponseFormatType{llm.FormatJSONObject, llm.FormatJSONSchema, llm.FormatText}[g.intn(3)]}
		rf.Name, rf.Description, rf.Schema, rf.Strict = g.str(), g.str(), g.raw(), g.optBool()
		req.ResponseFormat = rf
	}
	if g.intn(3) == 0 {
		req.Extra = map[string]json.RawMessage{"logit_bias": json.RawMessage(`{"1":2}`)}
		if g.bool() {
			req.Extra["prediction"] = predictions[g.intn(len(predictions))]
		}
		if g.bool() {
			req.Extra["prompt_cache_key"] = cacheKeys[g.intn(len(cacheKeys))]
		}
	}
	return req
}
