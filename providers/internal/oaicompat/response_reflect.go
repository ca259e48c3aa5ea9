package oaicompat

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/windrose-gw/windrose/internal/llm"
)

// The types below are the targets of the reflective fallback. The fastjson
// walk (decoder.decode, walk.go) follows the same names and types by hand.

// wireResponse is an OpenAI-dialect chat.completion. Mistral, OpenRouter
// and OpenAI-compatible servers all answer in this shape.
type wireResponse struct {
	ID      string          `json:"id"`
	Created int64           `json:"created"`
	Model   string          `json:"model"`
	Choices []wireChoice    `json:"choices"`
	Usage   *wireUsage      `json:"usage"`
	Error   json.RawMessage `json:"error"`
}

type wireChoice struct {
	Index        int         `json:"index"`
	Message      wireMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

type wireMessage struct {
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	ToolCalls []wireToolCall  `json:"tool_calls"`
}

type wireToolCall struct {
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type wireUsage struct {
	PromptTokens        int      `json:"prompt_tokens"`
	CompletionTokens    int      `json:"completion_tokens"`
	TotalTokens         int      `json:"total_tokens"`
	Cost                *float64 `json:"cost"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

// decodeReflect is the encoding/json decoder DecodeResponse replaced, kept
// unchanged as its exact fallback: decoder.decode hands it every body it does
// not take itself (see response.go), so the two together behave as this
// one always did.
func decodeReflect(body []byte, mapID func(string) string) (*llm.ChatResponse, *InBandError, error) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, nil, fmt.Errorf("malformed response: %w", err)
	}
	if len(w.Error) > 0 && !bytes.Equal(w.Error, []byte("null")) {
		eb := ParseErrorBody(body)
		return nil, &InBandError{Code: eb.Code, Status: eb.CodeNum, Message: eb.Message}, nil
	}
	if len(w.Choices) == 0 {
		return nil, nil, fmt.Errorf("malformed response: no choices")
	}
	out := &llm.ChatResponse{ID: w.ID, Created: w.Created, Model: w.Model}
	out.Choices = make([]llm.Choice, 0, len(w.Choices))
	for _, c := range w.Choices {
		msg, err := decodeMessage(c.Message, mapID)
		if err != nil {
			return nil, nil, err
		}
		out.Choices = append(out.Choices, llm.Choice{
			Index: c.Index, Message: msg, FinishReason: NormalizeFinish([]byte(c.FinishReason)),
		})
	}
	if u := w.Usage; u != nil {
		out.Usage = &llm.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
		if u.PromptTokensDetails != nil {
			out.Usage.CachedTokens = u.PromptTokensDetails.CachedTokens
		}
		if u.Cost != nil {
			out.Usage.Cost, out.Usage.HasCost = *u.Cost, true
		}
	}
	return out, nil, nil
}

func decodeMessage(m wireMessage, mapID func(string) string) (llm.Message, error) {
	out := llm.Message{Role: llm.RoleAssistant}
	if len(m.Content) > 0 && m.Content[0] == '[' {
		// Array content (Mistral's newer models): keep the text parts.
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(m.Content, &parts); err != nil {
			return out, fmt.Errorf("malformed response content: %w", err)
		}
		var b []byte
		for _, p := range parts {
			if p.Type == "text" {
				b = append(b, p.Text...)
			}
		}
		out.Content = string(b)
	} else if len(m.Content) > 0 && m.Content[0] == '"' {
		if err := json.Unmarshal(m.Content, &out.Content); err != nil {
			return out, fmt.Errorf("malformed response content: %w", err)
		}
	}
	for _, tc := range m.ToolCalls {
		id := tc.ID
		if mapID != nil {
			id = mapID(id)
		}
		out.ToolCalls = append(out.ToolCalls, llm.ToolCall{ID: id, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	return out, nil
}
