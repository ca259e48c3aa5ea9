package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// The Responses API (/v1/responses) through openai-go's Responses client,
// on every deployment of twoDeployments: adding an adapter there and to
// deployments adds it here too.

// weatherFunction is weatherTool in the Responses shape.
var weatherFunction = responses.ToolParamOfFunction("get_weather", map[string]any{
	"type":       "object",
	"properties": map[string]any{"city": map[string]any{"type": "string"}},
	"required":   []string{"city"},
}, false)

// callOutput is a function_call_output item answering callID.
func callOutput(callID, output string) responses.ResponseInputItemUnionParam {
	item := responses.ResponseInputItemParamOfFunctionCallOutput(output)
	item.OfFunctionCallOutput.CallID = openai.String(callID)
	return item
}

func respParams(input string) responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model: model,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(input)},
	}
}

// respResult is one response, streamed or not, as the SDK saw it.
type respResult struct {
	resp   *responses.Response
	header http.Header
	events []responses.ResponseStreamEventUnion
	err    error
}

// respond sends p to dep, streamed or not; for a stream the final
// response is the one its last lifecycle event carried.
func respond(t *testing.T, env *Env, dep string, streaming bool, p responses.ResponseNewParams) respResult {
	t.Helper()
	var hr *http.Response
	client := newClient(env)
	opts := append(pin(dep), option.WithResponseInto(&hr))
	var out respResult
	if !streaming {
		out.resp, out.err = client.Responses.New(withTimeout(t), p, opts...)
	} else {
		s := client.Responses.NewStreaming(withTimeout(t), p, opts...)
		for s.Next() {
			ev := s.Current()
			out.events = append(out.events, ev)
			switch ev.Type {
			case "response.completed", "response.incomplete", "response.failed":
				r := ev.Response
				out.resp = &r
			}
		}
		out.err = s.Err()
		_ = s.Close()
	}
	if hr != nil {
		out.header = hr.Header
	}
	return out
}

// mustRespond is respond that fails the test on an error or no response.
func mustRespond(t *testing.T, env *Env, dep string, streaming bool, p responses.ResponseNewParams) respResult {
	t.Helper()
	out := respond(t, env, dep, streaming, p)
	if out.err != nil {
		t.Fatalf("responses: %v", describe(out.err))
	}
	if out.resp == nil {
		t.Fatalf("stream ended without a completed, incomplete or failed event (%d events)", len(out.events))
	}
	return out
}

// checkEvents asserts a stream's sequence numbers count from 0 and its
// lifecycle frames the items: created, in_progress first; last wanted.
func checkEvents(t *testing.T, evs []responses.ResponseStreamEventUnion, last string) {
	t.Helper()
	if len(evs) < 3 {
		t.Fatalf("got %d events, want at least created, in_progress and %s", len(evs), last)
	}
	for i, ev := range evs {
		if ev.SequenceNumber != int64(i) {
			t.Fatalf("event %d (%s) has sequence_number %d", i, ev.Type, ev.SequenceNumber)
		}
	}
	if evs[0].Type != "response.created" || evs[1].Type != "response.in_progress" || evs[len(evs)-1].Type != last {
		t.Errorf("events start %s, %s and end %s; want response.created, response.in_progress … %s",
			evs[0].Type, evs[1].Type, evs[len(evs)-1].Type, last)
	}
}

func modes() []struct {
	name   string
	stream bool
} {
	return []struct {
		name   string
		stream bool
	}{{"create", false}, {"stream", true}}
}

// TestResponsesText checks a plain answer on each adapter, both ways.
func TestResponsesText(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	for _, dep := range deployments {
		for _, m := range modes() {
			t.Run(dep+"/"+m.name, func(t *testing.T) {
				out := mustRespond(t, env, dep, m.stream, respParams("Say hello to the gateway"))
				checkRouting(t, out.header, dep)
				r := out.resp
				if r.Status != "completed" || r.OutputText() == "" || r.Object != "response" || !strings.HasPrefix(r.ID, "resp_") {
					t.Errorf("response = %s %q, status %q, output_text %q; want a completed resp_ response with text", r.Object, r.ID, r.Status, r.OutputText())
				}
				if r.Model == "" || r.Model == model {
					t.Errorf("model = %q, want the upstream model that answered", r.Model)
				}
				u := r.Usage
				if u.InputTokens <= 0 || u.OutputTokens <= 0 || u.TotalTokens != u.InputTokens+u.OutputTokens {
					t.Errorf("usage = %d + %d = %d; want both > 0 and total their sum", u.InputTokens, u.OutputTokens, u.TotalTokens)
				}
				if m.stream {
					checkEvents(t, out.events, "response.completed")
					var text strings.Builder
					for _, ev := range out.events {
						if ev.Type == "response.output_text.delta" {
							text.WriteString(ev.Delta)
						}
					}
					if text.String() != r.OutputText() {
						t.Errorf("deltas say %q, completed response %q", text.String(), r.OutputText())
					}
				}
			})
		}
	}
}

// TestResponsesIncomplete checks that a length cut is status incomplete
// (and response.incomplete on a stream), never a completed answer.
func TestResponsesIncomplete(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	for _, dep := range deployments {
		for _, m := range modes() {
			t.Run(dep+"/"+m.name, func(t *testing.T) {
				p := respParams("Tell me a long story about gateways")
				p.MaxOutputTokens = openai.Int(2)
				out := mustRespond(t, env, dep, m.stream, p)
				if out.resp.Status != "incomplete" || out.resp.IncompleteDetails.Reason != "max_output_tokens" {
					t.Errorf("status %q, reason %q; want incomplete, max_output_tokens", out.resp.Status, out.resp.IncompleteDetails.Reason)
				}
				if m.stream {
					checkEvents(t, out.events, "response.incomplete")
				}
			})
		}
	}
}

// TestResponsesFunctionCalling runs the tool round trip twice per adapter
// and mode: continuing with previous_response_id, and stateless (store:
// false, the whole conversation resent as items).
func TestResponsesFunctionCalling(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	for _, dep := range deployments {
		for _, m := range modes() {
			t.Run(dep+"/"+m.name, func(t *testing.T) {
				p := respParams("What is the weather in Paris? Use get_weather.")
				p.Tools = []responses.ToolUnionParam{weatherFunction}
				first := mustRespond(t, env, dep, m.stream, p)
				var call *responses.ResponseOutputItemUnion
				for i := range first.resp.Output {
					if first.resp.Output[i].Type == "function_call" {
						call = &first.resp.Output[i]
					}
				}
				var args map[string]any
				if call == nil || call.Name != "get_weather" || call.CallID == "" || json.Unmarshal([]byte(call.Arguments.OfString), &args) != nil {
					t.Fatalf("output = %s; want a get_weather function_call with JSON arguments", first.resp.RawJSON())
				}
				result := callOutput(call.CallID, toolResult)

				// Stored: only the tool result, the rest comes from the store.
				chained := responses.ResponseNewParams{Model: model, PreviousResponseID: openai.String(first.resp.ID),
					Tools: p.Tools, Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{result}}}
				second := mustRespond(t, env, dep, m.stream, chained)
				if !strings.Contains(second.resp.OutputText(), toolResult) || second.resp.PreviousResponseID != first.resp.ID {
					t.Errorf("chained answer %q (previous %q); want it to quote %q and name %s",
						second.resp.OutputText(), second.resp.PreviousResponseID, toolResult, first.resp.ID)
				}

				// Stateless: the client resends everything with its own id.
				items := responses.ResponseInputParam{
					responses.ResponseInputItemParamOfMessage("What is the weather in Paris? Use get_weather.", responses.EasyInputMessageRoleUser),
					responses.ResponseInputItemParamOfFunctionCall(call.Arguments.OfString, inventedID, "get_weather"),
					callOutput(inventedID, toolResult),
				}
				stateless := responses.ResponseNewParams{Model: model, Store: openai.Bool(false), Tools: p.Tools,
					Input: responses.ResponseNewParamsInputUnion{OfInputItemList: items}}
				third := mustRespond(t, env, dep, m.stream, stateless)
				if !strings.Contains(third.resp.OutputText(), toolResult) || strings.Contains(third.resp.RawJSON(), `"store":true`) {
					t.Errorf("stateless answer %q, store %v; want it to quote %q, unstored", third.resp.OutputText(), !strings.Contains(third.resp.RawJSON(), `"store":false`), toolResult)
				}
			})
		}
	}
}

// TestResponsesStoredLifecycle checks GET and DELETE of a stored response,
// and that store:false leaves nothing to get.
func TestResponsesStoredLifecycle(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	client := newClient(env)
	ctx := withTimeout(t)
	made := mustRespond(t, env, "", false, respParams("Remember this")).resp
	got, err := client.Responses.Get(ctx, made.ID, responses.ResponseGetParams{})
	if err != nil || got.ID != made.ID || got.OutputText() != made.OutputText() {
		t.Fatalf("GET %s = %v, %v; want the stored response", made.ID, got, err)
	}
	if err := client.Responses.Delete(ctx, made.ID); err != nil {
		t.Fatalf("DELETE: %v", describe(err))
	}
	_, err = client.Responses.Get(ctx, made.ID, responses.ResponseGetParams{})
	wantStatus(t, err, http.StatusNotFound, "response_id")

	p := respParams("Forget this")
	p.Store = openai.Bool(false)
	unstored := mustRespond(t, env, "", false, p).resp
	_, err = client.Responses.Get(ctx, unstored.ID, responses.ResponseGetParams{})
	wantStatus(t, err, http.StatusNotFound, "response_id")

	// A response is scoped to the key that made it.
	other := openai.NewClient(option.WithBaseURL(env.URL+"/v1/"), option.WithAPIKey("another-key"), option.WithMaxRetries(0))
	kept := mustRespond(t, env, "", false, respParams("Mine")).resp
	_, err = other.Responses.Get(ctx, kept.ID, responses.ResponseGetParams{})
	wantStatus(t, err, http.StatusNotFound, "response_id")
}

func wantStatus(t *testing.T, err error, status int, param string) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an API error %d", err, status)
	}
	if apiErr.StatusCode != status || apiErr.Param != param {
		t.Errorf("error %d param %q (%s), want %d param %q", apiErr.StatusCode, apiErr.Param, apiErr.RawJSON(), status, param)
	}
}

// TestResponsesBrokenStream checks a stream cut after its first content:
// it ends with response.failed and an error event, never silently.
func TestResponsesBrokenStream(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	for _, dep := range deployments {
		t.Run(dep, func(t *testing.T) {
			env.Emu(dep).SetFaults(t, `{"cut_after": 2}`)
			out := respond(t, env, dep, true, respParams("Say hello to the gateway"))
			if out.err != nil {
				t.Fatalf("stream error %v; want the failure in-band as events", describe(out.err))
			}
			n := len(out.events)
			if n < 2 || out.events[n-2].Type != "response.failed" || out.events[n-1].Type != "error" {
				t.Fatalf("stream ended with %v; want response.failed then error", lastTypes(out.events))
			}
			if out.resp.Status != "failed" || out.resp.Error.Message == "" || out.events[n-1].Message == "" {
				t.Errorf("failed response %s; want status failed with an error message", out.resp.RawJSON())
			}
			if out.events[n-1].SequenceNumber != int64(n-1) {
				t.Errorf("error event sequence_number %d, want %d", out.events[n-1].SequenceNumber, n-1)
			}
		})
	}
}

func lastTypes(evs []responses.ResponseStreamEventUnion) []string {
	var out []string
	for i := max(0, len(evs)-3); i < len(evs); i++ {
		out = append(out, evs[i].Type)
	}
	return out
}

// TestResponsesRefused checks that what windrose cannot honour is an
// OpenAI 400 naming the parameter, through the SDK's own types.
func TestResponsesRefused(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	client := newClient(env)
	tests := []struct {
		name  string
		edit  func(*responses.ResponseNewParams)
		param string
	}{
		// A hosted tool no Mistral deployment runs.
		{"web search tool", func(p *responses.ResponseNewParams) {
			p.Tools = []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: responses.WebSearchToolTypeWebSearch}}}
		}, "tools[0].type"},
		// Reasoning settings: refused, not silently dropped.
		{"reasoning", func(p *responses.ResponseNewParams) {
			p.Reasoning = openai.ReasoningParam{Effort: openai.ReasoningEffortHigh}
		}, "reasoning"},
		// A chain to a response that does not exist.
		{"unknown previous response", func(p *responses.ResponseNewParams) {
			p.PreviousResponseID = openai.String("resp_missing")
		}, "previous_response_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := respParams("hi")
			tt.edit(&p)
			_, err := client.Responses.New(withTimeout(t), p)
			wantStatus(t, err, http.StatusBadRequest, tt.param)
		})
	}
}

// TestResponsesBadInput posts malformed bodies the SDK's types would not
// let through: each must be a 400 in OpenAI's envelope naming the field.
func TestResponsesBadInput(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	tests := []struct {
		name, body, param string
	}{
		// An item type windrose does not model.
		{"unknown item type", `{"model":"mistral-medium","input":[{"type":"computer_call_output","call_id":"c"}]}`, "input[0].type"},
		// A content part type that does not exist.
		{"unknown part type", `{"model":"mistral-medium","input":[{"role":"user","content":[{"type":"input_video","text":"x"}]}]}`, "input[0].content[0].type"},
		// input must be a string or a list.
		{"input wrong type", `{"model":"mistral-medium","input":42}`, "input"},
		// temperature must be a number.
		{"temperature wrong type", `{"model":"mistral-medium","input":"x","temperature":"hot"}`, "temperature"},
		// A function_call_output must say which call it answers.
		{"output without call_id", `{"model":"mistral-medium","input":[{"type":"function_call_output","output":"x"}]}`, "input[0].call_id"},
		// A built-in tool in tool_choice.
		{"builtin tool_choice", `{"model":"mistral-medium","input":"x","tool_choice":{"type":"file_search"}}`, "tool_choice.type"},
		// A member the endpoint does not know.
		{"unknown parameter", `{"model":"mistral-medium","input":"x","frobnicate":1}`, "frobnicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(env.URL+"/v1/responses", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var env struct {
				Error struct{ Message, Type, Param string } `json:"error"`
			}
			decodeJSON(t, body, &env)
			if resp.StatusCode != http.StatusBadRequest || env.Error.Param != tt.param || env.Error.Type != "invalid_request_error" || env.Error.Message == "" {
				t.Errorf("%d %s; want 400 invalid_request_error with param %q", resp.StatusCode, body, tt.param)
			}
		})
	}
}

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// TestResponsesRouting checks the chat path's routing applies unchanged:
// failover before the first byte, region narrowing and its 503.
func TestResponsesRouting(t *testing.T) {
	t.Parallel()
	env := Start(t, mistralAndOpenRouter)
	env.Emu("mistral").SetFaults(t, `{"status": 500}`)
	for _, m := range modes() {
		t.Run("failover/"+m.name, func(t *testing.T) {
			// Whichever deployment the router tries first, the broken one
			// never answers: the client sees openrouter's answer, unaware.
			for range 3 {
				out := mustRespond(t, env, "", m.stream, respParams("hello"))
				if got := out.header.Get("X-Windrose-Deployment"); got != "openrouter" || out.resp.Status != "completed" {
					t.Fatalf("served by %q with status %q; want openrouter, completed", got, out.resp.Status)
				}
			}
		})
	}
	t.Run("region", func(t *testing.T) {
		// Only mistral is in the EU, and it is down: the residency rule
		// never falls back outside the region.
		client := newClient(env)
		_, err := client.Responses.New(withTimeout(t), respParams("hello"), option.WithHeader("X-Windrose-Region", "eu"))
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode < 500 {
			t.Fatalf("err = %v; want a 5xx OpenAI error from the only EU deployment", err)
		}
		// No deployment in the region at all: a 503 saying why.
		_, err = client.Responses.New(withTimeout(t), respParams("hello"), option.WithHeader("X-Windrose-Region", "apac"))
		wantStatus(t, err, http.StatusServiceUnavailable, "")
	})
}
