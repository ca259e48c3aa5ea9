package azure

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	emuazure "github.com/windrose-gw/windrose/internal/emulator/azure"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/golden"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ptr[T any](v T) *T { return &v }

var weatherTool = llm.Tool{
	Name: "get_weather", Description: "Current weather", Strict: ptr(true),
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`),
}

func toolConversation() []llm.Message {
	return []llm.Message{
		{Role: llm.RoleDeveloper, Content: "You are terse."},
		{Role: llm.RoleUser, Content: "Weather in Paris?", Name: "alice"},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_0fypS1hVXabcdefghij", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
		{Role: llm.RoleTool, ToolCallID: "call_0fypS1hVXabcdefghij", Name: "get_weather", Content: "18C"},
	}
}

func TestRequestGolden(t *testing.T) {
	all := llm.ChatRequest{
		Model: "alias", Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}},
		Temperature: ptr(0.2), TopP: ptr(0.9), PresencePenalty: ptr(0.1), FrequencyPenalty: ptr(0.3),
		MaxTokens: ptr(64), Stop: []string{"END"}, Seed: ptr(int64(42)), N: ptr(1), IncludeUsage: true,
		User: "user-123", Metadata: map[string]string{"team": "a"}, ParallelToolCalls: ptr(false),
		Extra: map[string]json.RawMessage{"safe_prompt": json.RawMessage(`true`), "logit_bias": json.RawMessage(`{"1":2}`)},
	}
	tests := []struct {
		name    string
		req     llm.ChatRequest
		stream  bool
		toolIDs bool
		forward map[string]bool
	}{
		// Azure's schema fields pass under their OpenAI names; user,
		// metadata, n, parallel_tool_calls, stream_options and every
		// unknown field are dropped.
		{"schema only", all, true, true, nil},
		// forward_fields lets a listed unknown field through, and only it.
		{"forward safe_prompt", all, false, true, map[string]bool{"safe_prompt": true}},
		// A Mistral deployment: ids rewritten to 9 alphanumerics,
		// consistently between call and result; developer → system; no
		// message names; no strict flag on tools.
		{"tools mistral ids", llm.ChatRequest{Messages: toolConversation(), Tools: []llm.Tool{weatherTool},
			ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceRequired}}, false, true, nil},
		// mistral_tool_ids: false keeps the caller's ids.
		{"tools caller ids", llm.ChatRequest{Messages: toolConversation(), Tools: []llm.Tool{weatherTool}}, false, false, nil},
		// json_schema in OpenAI's shape.
		{"json schema", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "a city"}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONSchema, Name: "city",
				Schema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}}}`), Strict: ptr(true)}}, false, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids *mistralwire.IDMap
			if tt.toolIDs {
				ids = &mistralwire.IDMap{}
			}
			body := encodeRequest(nil, &tt.req, "mistral-medium-2505", tt.stream, ids, tt.forward)
			golden.Check(t, filepath.Join("testdata", "request", golden.FileName(tt.name)+".json"), golden.Indent(t, body), *update)
		})
	}
}

// The caller's request is never modified by the rewrite.
func TestEncodeLeavesRequestAlone(t *testing.T) {
	req := llm.ChatRequest{Messages: toolConversation(), Tools: []llm.Tool{weatherTool}}
	before, _ := json.Marshal(req)
	_ = encodeRequest(nil, &req, "m", false, &mistralwire.IDMap{}, nil)
	if after, _ := json.Marshal(req); string(after) != string(before) {
		t.Errorf("request changed:\n%s\n%s", before, after)
	}
}

// newAgainst builds a key-auth adapter against a fresh emulator.
func newAgainst(t testing.TB, opts string) (providers.Provider, *emuazure.Server) {
	t.Helper()
	emu := emuazure.New(emukit.Options{APIKey: "k"})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	p, err := New(config.Deployment{Name: "az", Provider: Kind, Model: "mistral-medium-2505", BaseURL: srv.URL,
		APIKey: "k", Options: node(t, opts)}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return p, emu
}

// An output cut by Azure's content filter is a 200 with finish_reason
// content_filter: passed to the client as it is, for chat and stream, on
// every route.
func TestContentFilterFinish(t *testing.T) {
	for _, style := range []string{StyleModels, StyleOpenAI, StyleServerless} {
		t.Run(style, func(t *testing.T) {
			p, _ := newAgainst(t, "endpoint: "+style)
			req := &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "please emulator:filter this long answer about storms"}}}
			resp, err := p.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if f := resp.Choices[0].FinishReason; f != llm.FinishContentFilter {
				t.Errorf("chat finish = %q, want content_filter", f)
			}
			s, err := p.ChatStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			tr := golden.Read(s, 1000)
			finish := ""
			for _, ev := range tr.Events {
				for _, d := range ev.Deltas {
					if d.FinishReason != "" {
						finish = d.FinishReason
					}
				}
			}
			if tr.End != nil || finish != string(llm.FinishContentFilter) {
				t.Errorf("stream: finish %q, end %v; want content_filter and a clean end", finish, tr.Err())
			}
		})
	}
}

// The extra-parameters header goes out as configured, and with
// pass-through a listed Mistral field reaches the model.
func TestExtraParameters(t *testing.T) {
	req := &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}},
		User: "u", Extra: map[string]json.RawMessage{"safe_prompt": json.RawMessage(`true`), "top_k": json.RawMessage(`5`)}}
	tests := []struct {
		name, opts, header string
	}{
		// Default: no header, and nothing unknown sent, so Azure's
		// default "error" mode has nothing to refuse.
		{"default", "", ""},
		// pass-through with safe_prompt forwarded (top_k is not listed).
		{"pass-through", "{extra_parameters: pass-through, forward_fields: [safe_prompt]}", "pass-through"},
		// drop: sent, nothing extra forwarded.
		{"drop", "extra_parameters: drop", "drop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, emu := newAgainst(t, tt.opts)
			if _, err := p.Chat(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			if got := emu.Controller().Stats().Notes["last_extra_parameters"]; got != tt.header {
				t.Errorf("extra-parameters = %q, want %q", got, tt.header)
			}
		})
	}
}

// The emulator's error kinds, in Azure's shapes, map to the kinds the
// executor acts on: retired and unknown deployments fail over
// (ModelUnavailable), a filtered prompt stops (InvalidRequest,
// content_filter), throttling waits for retry-after-ms.
func TestEmulatorErrorKinds(t *testing.T) {
	tests := []struct {
		name, faults string
		kind         gwerr.Kind
		code         string
		retryAfter   time.Duration
	}{
		// 404 DeploymentNotFound.
		{"model retired", `{"error_kind":"model_retired"}`, gwerr.ModelUnavailable, gwerr.CodeModelUnavailable, 0},
		// 400 unknown_model.
		{"invalid model", `{"error_kind":"invalid_model"}`, gwerr.ModelUnavailable, gwerr.CodeModelUnavailable, 0},
		// 400 content_filter with innererror.
		{"content filter", `{"error_kind":"content_filter"}`, gwerr.InvalidRequest, "content_filter", 0},
		// 429 with retry-after-ms.
		{"rate limit", `{"status":429,"retry_after":2}`, gwerr.RateLimited, "", 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, emu := newAgainst(t, "")
			var f emukit.Faults
			if err := json.Unmarshal([]byte(tt.faults), &f); err != nil {
				t.Fatal(err)
			}
			if err := emu.Controller().SetFaults(f); err != nil {
				t.Fatal(err)
			}
			_, chatErr := p.Chat(context.Background(), &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}})
			_, streamErr := p.ChatStream(context.Background(), &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}})
			for name, err := range map[string]error{"chat": chatErr, "stream": streamErr} {
				ge := gwerr.As(err)
				if ge == nil || ge.Kind != tt.kind || ge.Code != tt.code || ge.RetryAfter != tt.retryAfter {
					t.Errorf("%s: %v; want kind %v code %q retry %v", name, err, tt.kind, tt.code, tt.retryAfter)
				}
			}
		})
	}
}

// A redirect is answered, not followed: the key must not travel to
// wherever a compromised or misconfigured endpoint points.
func TestNoRedirect(t *testing.T) {
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/models/chat/completions", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	p, err := New(config.Deployment{Name: "az", Provider: Kind, Model: "m", BaseURL: redirect.URL, APIKey: "k"}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Chat(context.Background(), &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}})
	if gwerr.KindOf(err) != gwerr.Upstream || hits.Load() != 0 {
		t.Errorf("err %v, redirect target hit %d times; want Upstream and none", err, hits.Load())
	}
}
