package e2e

import (
	"encoding/json"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// weatherTool is the one tool the tests offer. The emulators call a tool
// when the last user message names it, or when tool_choice is "required".
var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Current weather for a city"),
	Parameters: shared.FunctionParameters{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []string{"city"},
	},
})

// toolResult is the text every tool message returns; the emulators quote
// the last tool result in their answer.
const toolResult = "sunny and 21 degrees"

// inventedID is an OpenAI-style id a client made up itself. The Mistral
// API rejects any id that is not 9 alphanumerics, so the gateway must
// rewrite it, consistently for the call and its result.
const inventedID = "call_abc123def456"

// reply is one assistant turn, streamed or not.
type reply struct {
	msg    openai.ChatCompletionMessage
	finish string
}

// turn sends p to dep and returns the assistant's turn.
func turn(t *testing.T, env *Env, dep string, streaming bool, p openai.ChatCompletionNewParams) reply {
	t.Helper()
	if !streaming {
		out, _ := complete(t, env, p, pin(dep)...)
		if len(out.Choices) != 1 {
			t.Fatalf("got %d choices, want 1", len(out.Choices))
		}
		return reply{msg: out.Choices[0].Message, finish: string(out.Choices[0].FinishReason)}
	}
	got := stream(t, env, p, pin(dep)...)
	if got.err != nil {
		t.Fatalf("stream: %v", describe(got.err))
	}
	if len(got.acc.Choices) != 1 {
		t.Fatalf("accumulated %d choices, want 1", len(got.acc.Choices))
	}
	return reply{msg: got.acc.Choices[0].Message, finish: string(got.acc.Choices[0].FinishReason)}
}

// wantToolCall asserts r is exactly one well-formed get_weather call.
func wantToolCall(t *testing.T, r reply) openai.ChatCompletionMessageToolCallUnion {
	t.Helper()
	if r.finish != "tool_calls" || len(r.msg.ToolCalls) != 1 {
		t.Fatalf("finish %q with %d tool calls (content %q), want one call and finish tool_calls",
			r.finish, len(r.msg.ToolCalls), r.msg.Content)
	}
	call := r.msg.ToolCalls[0]
	var args map[string]any
	if call.ID == "" || call.Function.Name != "get_weather" || json.Unmarshal([]byte(call.Function.Arguments), &args) != nil {
		t.Fatalf("tool call id %q, name %q, arguments %q: want an id, get_weather and a JSON object",
			call.ID, call.Function.Name, call.Function.Arguments)
	}
	return call
}

// wantAnswer asserts r is a text answer built on the tool's result.
func wantAnswer(t *testing.T, r reply) {
	t.Helper()
	if r.finish != "stop" || len(r.msg.ToolCalls) != 0 || !contains(r.msg.Content, toolResult) {
		t.Fatalf("finish %q, %d tool calls, content %q: want a text answer quoting %q",
			r.finish, len(r.msg.ToolCalls), r.msg.Content, toolResult)
	}
}

// inventedCall is an assistant turn whose tool call id the client made up.
func inventedCall(id string) openai.ChatCompletionMessageParamUnion {
	return openai.ChatCompletionMessageParamUnion{OfAssistant: &openai.ChatCompletionAssistantMessageParam{
		ToolCalls: []openai.ChatCompletionMessageToolCallUnionParam{{
			OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
				ID: id,
				Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{
					Name: "get_weather", Arguments: `{"city":"Rome"}`,
				},
			},
		}},
	}}
}

// TestToolCalls runs tool-call round trips through each deployment, streamed
// and not, with ids the model made and ids the client invented.
func TestToolCalls(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	// Control: the Mistral emulator itself refuses an OpenAI-style id, so
	// the round trips below pass only because the gateway rewrites ids.
	t.Run("control/mistral refuses call_ ids", func(t *testing.T) {
		direct := openai.NewClient(option.WithBaseURL(env.Emu("mistral").BaseURL+"/v1/"),
			option.WithAPIKey(APIKey), option.WithMaxRetries(0))
		p := ask("hello")
		p.Model = "mistral-medium-2508"
		p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
		p.Messages = append(p.Messages, inventedCall(inventedID), openai.ToolMessage(toolResult, inventedID))
		_, err := direct.Chat.Completions.New(withTimeout(t), p)
		if e := apiError(t, err); e.StatusCode != 400 {
			t.Fatalf("emulator answered %d %s, want 400", e.StatusCode, e.RawJSON())
		}
	})
	for _, dep := range deployments {
		for _, streaming := range []bool{false, true} {
			name := dep
			if streaming {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				t.Run("round trip", func(t *testing.T) { roundTrip(t, env, dep, streaming) })
				t.Run("required choice", func(t *testing.T) { requiredChoice(t, env, dep, streaming) })
			})
		}
	}
}

// roundTrip: the model calls the tool, the client answers with the result,
// the model answers in text; then the client replays a second call under an
// id it invented itself, in the same conversation. Both ids must survive
// the gateway's rewriting (the Mistral emulator rejects any id it could not
// have issued).
func roundTrip(t *testing.T, env *Env, dep string, streaming bool) {
	p := ask("Please use get_weather to look up Paris")
	p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
	asked := turn(t, env, dep, streaming, p)
	call := wantToolCall(t, asked)

	p.Messages = append(p.Messages, asked.msg.ToParam(), openai.ToolMessage(toolResult, call.ID))
	answered := turn(t, env, dep, streaming, p)
	wantAnswer(t, answered)

	p.Messages = append(p.Messages,
		answered.msg.ToParam(),
		openai.UserMessage("And Rome?"),
		inventedCall(inventedID),
		openai.ToolMessage(toolResult, inventedID),
	)
	wantAnswer(t, turn(t, env, dep, streaming, p))
}

// requiredChoice: tool_choice "required" must force a call even though the
// prompt does not name the tool (Mistral spells it "any").
func requiredChoice(t *testing.T, env *Env, dep string, streaming bool) {
	p := ask("What is it like outside in Lisbon?")
	p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
	p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
	wantToolCall(t, turn(t, env, dep, streaming, p))
}
