package bedrock

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// decodeResponse translates a Converse answer (PROVIDERS.md §2.5): text
// blocks join into the content, toolUse blocks become tool calls with the
// caller's ids restored, the stop reason becomes a finish reason and usage
// is Bedrock's own count.
func decodeResponse(out *bedrockruntime.ConverseOutput, model string, ids *mistralwire.IDMap) (*llm.ChatResponse, error) {
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		return nil, gwerr.New(gwerr.Upstream, "bedrock answered without a message")
	}
	finish, err := finishReason(out.StopReason)
	if err != nil {
		return nil, err
	}
	m := llm.Message{Role: llm.RoleAssistant}
	var text strings.Builder
	for _, block := range msg.Value.Content {
		switch b := block.(type) {
		case *types.ContentBlockMemberText:
			text.WriteString(b.Value)
		case *types.ContentBlockMemberToolUse:
			args := "{}"
			if b.Value.Input != nil {
				raw, err := b.Value.Input.MarshalSmithyDocument()
				if err != nil {
					return nil, gwerr.Wrap(gwerr.Upstream, err, "bedrock sent tool input that is not JSON")
				}
				args = string(raw)
			}
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: ids.Restore(aws.ToString(b.Value.ToolUseId)),
				Name: aws.ToString(b.Value.Name), Arguments: args})
		}
		// Reasoning, citations and other blocks have no chat-completions
		// field; they are dropped.
	}
	m.Content = text.String()
	resp := &llm.ChatResponse{Model: model, Choices: []llm.Choice{{Message: m, FinishReason: finish}}, Usage: usage(out.Usage)}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); ok && id != "" {
		resp.ID = "chatcmpl-" + id
	}
	return resp, nil
}

// finishReason maps a Converse stop reason to OpenAI's vocabulary. A
// malformed model output or tool use is a failed generation: an Upstream
// error, so the executor tries elsewhere.
func finishReason(r types.StopReason) (llm.FinishReason, error) {
	switch r {
	case types.StopReasonEndTurn, types.StopReasonStopSequence:
		return llm.FinishStop, nil
	case types.StopReasonMaxTokens, types.StopReasonModelContextWindowExceeded:
		return llm.FinishLength, nil
	case types.StopReasonToolUse:
		return llm.FinishToolCalls, nil
	case types.StopReasonGuardrailIntervened, types.StopReasonContentFiltered:
		return llm.FinishContentFilter, nil
	case types.StopReasonMalformedModelOutput, types.StopReasonMalformedToolUse:
		return llm.FinishError, gwerr.New(gwerr.Upstream, "bedrock stopped with %s", r)
	case "":
		return llm.FinishError, gwerr.New(gwerr.Upstream, "bedrock answered without a stop reason")
	}
	// A reason newer than this adapter: the answer ended normally.
	return llm.FinishStop, nil
}

// usage converts Bedrock's token counts. Bedrock's inputTokens leaves out
// tokens read from or written to the prompt cache; OpenAI's prompt_tokens
// includes them, with the cache hits repeated in cached_tokens.
func usage(u *types.TokenUsage) *llm.Usage {
	if u == nil {
		return nil
	}
	out := &llm.Usage{}
	fillUsage(out, u)
	return out
}

func fillUsage(out *llm.Usage, u *types.TokenUsage) {
	read, write := int(aws.ToInt32(u.CacheReadInputTokens)), int(aws.ToInt32(u.CacheWriteInputTokens))
	*out = llm.Usage{
		PromptTokens:     int(aws.ToInt32(u.InputTokens)) + read + write,
		CompletionTokens: int(aws.ToInt32(u.OutputTokens)),
		TotalTokens:      int(aws.ToInt32(u.TotalTokens)),
		CachedTokens:     read,
	}
	// Bedrock's totalTokens counts the cache tokens too; should a model
	// report less, the parts win.
	if sum := out.PromptTokens + out.CompletionTokens; out.TotalTokens < sum {
		out.TotalTokens = sum
	}
}
