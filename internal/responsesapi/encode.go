package responsesapi

import (
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	oa "github.com/windrose-gw/windrose/internal/openaiapi"
)

// Status is a response object's status.
type Status string

// Statuses windrose produces.
const (
	StatusInProgress Status = "in_progress"
	StatusCompleted  Status = "completed"
	StatusIncomplete Status = "incomplete"
	StatusFailed     Status = "failed"
)

// Item is one output item: an assistant message or a function call.
type Item struct {
	Type   string // "message" or "function_call"
	ID     string
	Status Status // completed, or in_progress while streaming
	Text   string // message: the output_text
	Call   llm.ToolCall
}

// Response is a response object: what the answer says, plus the request it
// echoes.
type Response struct {
	ID         string
	CreatedAt  int64
	Status     Status
	Model      string // the upstream model that answered
	Output     []Item
	Usage      *llm.Usage
	Incomplete string // incomplete_details.reason
	Err        error  // status failed: the error object's code and message
	Store      bool   // the response is stored (GET and previous_response_id work)
	Req        *Request
}

// New builds the response object for a complete answer from its first
// choice. Item ids derive from id's suffix, so they are stable per response.
func New(id string, createdAt int64, req *Request, resp *llm.ChatResponse) *Response {
	r := &Response{ID: id, CreatedAt: createdAt, Model: resp.Model, Usage: resp.Usage, Req: req, Status: StatusCompleted}
	var finish llm.FinishReason
	if len(resp.Choices) > 0 {
		c := &resp.Choices[0]
		finish = c.FinishReason
		text := c.Message.Content
		for _, p := range c.Message.Parts {
			text += p.Text
		}
		if text != "" || len(c.Message.ToolCalls) == 0 {
			r.Output = append(r.Output, Item{Type: itemMessage, ID: ItemID(id, "msg", 0), Status: StatusCompleted, Text: text})
		}
		for i, tc := range c.Message.ToolCalls {
			r.Output = append(r.Output, Item{Type: itemCall, ID: ItemID(id, "fc", i), Status: StatusCompleted, Call: tc})
		}
	}
	r.Status, r.Incomplete = StatusOf(finish)
	if r.Status == StatusFailed {
		r.Err = ErrGeneration
	}
	return r
}

// ErrGeneration is the error of a response whose provider reported that the
// generation itself failed (an in-band error finish).
var ErrGeneration = gwerr.New(gwerr.Upstream, "the provider reported an error during generation")

// StatusOf maps a finish reason to a response status and, for an
// incomplete one, the reason OpenAI gives.
func StatusOf(f llm.FinishReason) (Status, string) {
	switch f {
	case llm.FinishLength:
		return StatusIncomplete, "max_output_tokens"
	case llm.FinishContentFilter:
		return StatusIncomplete, "content_filter"
	case llm.FinishError:
		return StatusFailed, ""
	}
	return StatusCompleted, ""
}

// ItemID returns the id of the n-th item of kind ("msg", "fc") in response
// id ("resp_…").
func ItemID(id, kind string, n int) string {
	suffix := id
	if len(id) > 5 && id[:5] == "resp_" {
		suffix = id[5:]
	}
	if n == 0 {
		return kind + "_" + suffix
	}
	return kind + "_" + suffix + "_" + string(oa.AppendInt(nil, int64(n)))
}

// Messages returns the output as conversation messages (one assistant turn),
// for storing the conversation.
func (r *Response) Messages() []llm.Message {
	m := llm.Message{Role: llm.RoleAssistant}
	for i := range r.Output {
		if it := &r.Output[i]; it.Type == itemCall {
			m.ToolCalls = append(m.ToolCalls, it.Call)
		} else {
			m.Content += it.Text
		}
	}
	return []llm.Message{m}
}

// AppendResponse appends r as a response object.
func AppendResponse(dst []byte, r *Response) []byte {
	dst = append(dst, `{"id":`...)
	dst = oa.AppendString(dst, r.ID)
	dst = append(dst, `,"object":"response","created_at":`...)
	dst = oa.AppendInt(dst, r.CreatedAt)
	dst = append(dst, `,"status":`...)
	dst = oa.AppendString(dst, string(r.Status))
	dst = append(dst, `,"background":false,"error":`...)
	dst = appendErrorObject(dst, r.Err)
	dst = append(dst, `,"incomplete_details":`...)
	if r.Incomplete != "" {
		dst = append(dst, `{"reason":`...)
		dst = oa.AppendString(dst, r.Incomplete)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"model":`...)
	dst = oa.AppendString(dst, r.Model)
	dst = append(dst, `,"output":[`...)
	for i := range r.Output {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendItem(dst, &r.Output[i])
	}
	dst = append(dst, ']')
	dst = appendEcho(dst, r.Req, r.Store)
	dst = append(dst, `,"usage":`...)
	dst = appendUsage(dst, r.Usage)
	return append(dst, '}')
}

// appendErrorObject writes a failed response's error ({"code","message"})
// or null. Internal causes never reach the client.
func appendErrorObject(dst []byte, err error) []byte {
	if err == nil {
		return append(dst, "null"...)
	}
	e := gwerr.As(err)
	code, msg := "server_error", e.Message
	switch {
	case e.Kind == gwerr.Internal:
		msg = "the server had an error while processing your request"
	case e.Kind == gwerr.RateLimited:
		code = "rate_limit_exceeded"
	}
	dst = append(dst, `{"code":`...)
	dst = oa.AppendString(dst, code)
	dst = append(dst, `,"message":`...)
	dst = oa.AppendString(dst, msg)
	return append(dst, '}')
}

// appendItem writes one output item.
func appendItem(dst []byte, it *Item) []byte {
	dst = append(dst, `{"id":`...)
	dst = oa.AppendString(dst, it.ID)
	dst = append(dst, `,"type":`...)
	dst = oa.AppendString(dst, it.Type)
	dst = append(dst, `,"status":`...)
	dst = oa.AppendString(dst, string(it.Status))
	if it.Type == itemCall {
		dst = append(dst, `,"call_id":`...)
		dst = oa.AppendString(dst, it.Call.ID)
		dst = append(dst, `,"name":`...)
		dst = oa.AppendString(dst, it.Call.Name)
		dst = append(dst, `,"arguments":`...)
		dst = oa.AppendString(dst, it.Call.Arguments)
		return append(dst, '}')
	}
	dst = append(dst, `,"role":"assistant","content":[`...)
	if it.Status != StatusInProgress {
		dst = appendTextPart(dst, it.Text)
	}
	return append(dst, "]}"...)
}

// appendTextPart writes an output_text content part.
func appendTextPart(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"output_text","text":`...)
	dst = oa.AppendString(dst, text)
	return append(dst, `,"annotations":[],"logprobs":[]}`...)
}

// appendUsage writes the Responses usage object, or null.
func appendUsage(dst []byte, u *llm.Usage) []byte {
	if u == nil {
		return append(dst, "null"...)
	}
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	dst = append(dst, `{"input_tokens":`...)
	dst = oa.AppendInt(dst, int64(u.PromptTokens))
	dst = append(dst, `,"input_tokens_details":{"cached_tokens":`...)
	dst = oa.AppendInt(dst, int64(u.CachedTokens))
	dst = append(dst, `},"output_tokens":`...)
	dst = oa.AppendInt(dst, int64(u.CompletionTokens))
	dst = append(dst, `,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":`...)
	dst = oa.AppendInt(dst, int64(total))
	return append(dst, '}')
}
