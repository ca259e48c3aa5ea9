package oaicompat

import (
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
)

func TestNormalizeFinish(t *testing.T) {
	tests := []struct {
		in   string
		want llm.FinishReason
	}{
		{"", llm.FinishNone},                // still generating
		{"stop", llm.FinishStop},            // OpenAI's own
		{"model_length", llm.FinishLength},  // Mistral: the context filled up
		{"max_tokens", llm.FinishLength},    // Bedrock / watsonx spelling
		{"time_limit", llm.FinishLength},    // watsonx: time_limit cut it short
		{"cancelled", llm.FinishError},      // watsonx: abandoned upstream, not an answer
		{"error", llm.FinishError},          // Mistral / watsonx failure
		{"tool_calls", llm.FinishToolCalls}, // a tool call
		{"content_filter", llm.FinishContentFilter},
		{"something_new", llm.FinishStop}, // unknown: the generation did end
	}
	for _, tt := range tests {
		if got := NormalizeFinish([]byte(tt.in)); got != tt.want {
			t.Errorf("NormalizeFinish(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
