package bedrock

import (
	"encoding/json"
	"strconv"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// answer is the fake model's reply in Bedrock's terms.
type answer struct {
	content   []string // text chunks, one token each
	calls     []emukit.ToolCall
	stop      string
	in, out   int
	latencyMs int
}

// guardrailText is what Bedrock answers in place of a blocked reply.
const guardrailText = "Sorry, the model cannot answer this question."

// answerOf renders reply; filtered replaces it with a guardrail
// intervention (the content_filter fault).
func answerOf(reply *emukit.Reply, filtered bool) answer {
	a := answer{content: reply.Content, in: reply.PromptTokens, out: reply.CompletionTokens, latencyMs: 12}
	switch reply.Finish {
	case "length":
		a.stop = "max_tokens"
	case "tool_calls":
		a.stop = "tool_use"
	default:
		a.stop = "end_turn"
	}
	for _, c := range reply.ToolCalls {
		// Bedrock's own ids look like tooluse_<random>.
		c.ID = "tooluse_" + c.ID
		a.calls = append(a.calls, c)
	}
	if filtered {
		a.content, a.calls, a.stop = []string{guardrailText}, nil, "guardrail_intervened"
		a.out = emukit.Tokens(guardrailText)
	}
	return a
}

func (a *answer) usage() map[string]int {
	return map[string]int{"inputTokens": a.in, "outputTokens": a.out, "totalTokens": a.in + a.out}
}

// converseBody is the non-stream Converse response (PROVIDERS.md §2.5).
func (a *answer) converseBody() []byte {
	var content []any
	if len(a.content) > 0 {
		text := ""
		for _, c := range a.content {
			text += c
		}
		content = append(content, map[string]string{"text": text})
	}
	for _, c := range a.calls {
		content = append(content, map[string]any{"toolUse": map[string]any{
			"toolUseId": c.ID, "name": c.Name, "input": json.RawMessage(c.Arguments)}})
	}
	body := map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": content}},
		"stopReason": a.stop,
		"usage":      a.usage(),
		"metrics":    map[string]int{"latencyMs": a.latencyMs},
	}
	b, _ := json.Marshal(body)
	return b
}

// frames is the answer as ConverseStream events, in order: messageStart,
// one content block per text answer and per tool call
// (contentBlockStart for tool use, contentBlockDelta…, contentBlockStop),
// messageStop. The metadata event with usage comes last, from final.
func (a *answer) frames() []frame {
	out := []frame{{"messageStart", []byte(`{"role":"assistant"}`)}}
	block := 0
	if len(a.content) > 0 {
		for _, c := range a.content {
			out = append(out, frame{"contentBlockDelta", deltaPayload(block, map[string]any{"text": c})})
		}
		out = append(out, frame{"contentBlockStop", indexPayload(block)})
		block++
	}
	for _, c := range a.calls {
		start, _ := json.Marshal(map[string]any{"contentBlockIndex": block,
			"start": map[string]any{"toolUse": map[string]string{"toolUseId": c.ID, "name": c.Name}}})
		out = append(out, frame{"contentBlockStart", start})
		// The input arrives as fragments of its JSON text.
		half := len(c.Arguments) / 2
		for _, part := range []string{c.Arguments[:half], c.Arguments[half:]} {
			if part != "" {
				out = append(out, frame{"contentBlockDelta", deltaPayload(block, map[string]any{"toolUse": map[string]string{"input": part}})})
			}
		}
		out = append(out, frame{"contentBlockStop", indexPayload(block)})
		block++
	}
	stop, _ := json.Marshal(map[string]string{"stopReason": a.stop})
	return append(out, frame{"messageStop", stop})
}

func (a *answer) metadata() frame {
	b, _ := json.Marshal(map[string]any{"usage": a.usage(), "metrics": map[string]int{"latencyMs": a.latencyMs}})
	return frame{"metadata", b}
}

// padding mimics the "p" field real Bedrock adds to event payloads so
// their size does not reveal the text; clients must ignore it.
const padding = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"

func deltaPayload(block int, delta map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"contentBlockIndex": block, "delta": delta, "p": padding[:4+block%8]})
	return b
}

func indexPayload(block int) []byte {
	return []byte(`{"contentBlockIndex":` + strconv.Itoa(block) + `}`)
}
