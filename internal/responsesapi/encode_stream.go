package responsesapi

import (
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	oa "github.com/windrose-gw/windrose/internal/openaiapi"
)

// Stream turns neutral stream events into the Responses event sequence:
// response.created and response.in_progress, then per output item
// output_item.added, (content_part.added, output_text.delta…, .done,
// content_part.done | function_call_arguments.delta…, .done),
// output_item.done, and finally response.completed, response.incomplete
// (length, content filter) or response.failed followed by an error event.
// Every event carries a sequence_number counting from 0.
//
// Only choice 0 is relayed (the Responses API has no n). A Stream is used by
// one goroutine; every Append method appends SSE events to dst.
type Stream struct {
	// Resp is the response being built; the caller sets ID, CreatedAt,
	// Model, Req and Store before the first Append.
	Resp Response

	seq     int
	open    int // index in Resp.Output of the item being streamed, -1 for none
	toolIdx int // the llm tool-call index of the open function_call
	buf     []byte
	finish  llm.FinishReason
	started bool
	calls   int
}

// AppendStart appends response.created and response.in_progress.
func (s *Stream) AppendStart(dst []byte) []byte {
	s.started, s.open = true, -1
	s.Resp.Status = StatusInProgress
	dst = s.lifecycle(dst, "response.created")
	return s.lifecycle(dst, "response.in_progress")
}

// Started reports whether AppendStart ran.
func (s *Stream) Started() bool { return s.started }

// AppendEvent appends the events for one neutral stream event.
func (s *Stream) AppendEvent(dst []byte, ev *llm.StreamEvent) []byte {
	for i := range ev.Deltas {
		d := &ev.Deltas[i]
		if d.Index != 0 {
			continue
		}
		if len(d.Content) > 0 {
			if s.open < 0 || s.Resp.Output[s.open].Type != itemMessage {
				dst = s.openMessage(s.close(dst))
			}
			dst = s.textDelta(dst, d.Content)
		}
		for j := range d.ToolCalls {
			tc := &d.ToolCalls[j]
			if s.open < 0 || s.Resp.Output[s.open].Type != itemCall || tc.Index != s.toolIdx {
				dst = s.openCall(s.close(dst), tc)
			} else if c := &s.Resp.Output[s.open].Call; c.Name == "" {
				c.Name = tc.Name // a provider that names the call after its first fragment
			}
			if len(tc.Arguments) > 0 {
				dst = s.argsDelta(dst, tc.Arguments)
			}
		}
		if d.FinishReason != llm.FinishNone {
			s.finish = d.FinishReason
		}
	}
	return dst
}

// AppendEnd closes the open item and appends response.completed, or
// response.incomplete when the answer was cut by length or a filter.
func (s *Stream) AppendEnd(dst []byte, usage *llm.Usage) []byte {
	dst = s.close(dst)
	if len(s.Resp.Output) == 0 {
		// An empty answer is still one (empty) message, as a
		// non-streamed response says it.
		dst = s.close(s.openMessage(dst))
	}
	s.Resp.Usage = usage
	s.Resp.Status, s.Resp.Incomplete = StatusOf(s.finish)
	switch s.Resp.Status {
	case StatusFailed:
		return s.AppendFailed(dst, ErrGeneration)
	case StatusIncomplete:
		return s.lifecycle(dst, "response.incomplete")
	}
	return s.lifecycle(dst, "response.completed")
}

// AppendFailed ends a stream that broke after it started: the open item is
// marked incomplete, then response.failed and an error event say why.
func (s *Stream) AppendFailed(dst []byte, err error) []byte {
	if s.open >= 0 {
		it := &s.Resp.Output[s.open]
		s.settle(it)
		it.Status = StatusIncomplete
		s.open = -1
	}
	s.Resp.Status, s.Resp.Err = StatusFailed, err
	dst = s.lifecycle(dst, "response.failed")
	dst = s.head(dst, "error")
	e := gwerr.As(err)
	dst = append(dst, `,"code":`...)
	dst = appendErrCode(dst, err)
	dst = append(dst, `,"message":`...)
	if e.Kind == gwerr.Internal {
		dst = oa.AppendString(dst, "the server had an error while processing your request")
	} else {
		dst = oa.AppendString(dst, e.Message)
	}
	dst = append(dst, `,"param":null`...)
	return append(dst, "}\n\n"...)
}

// appendErrCode writes the error code appendErrorObject uses too.
func appendErrCode(dst []byte, err error) []byte {
	if gwerr.KindOf(err) == gwerr.RateLimited {
		return append(dst, `"rate_limit_exceeded"`...)
	}
	return append(dst, `"server_error"`...)
}

// head starts one SSE event: "event: typ\ndata: {"type":typ,"sequence_number":n".
func (s *Stream) head(dst []byte, typ string) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, typ...)
	dst = append(dst, "\ndata: {\"type\":\""...)
	dst = append(dst, typ...)
	dst = append(dst, `","sequence_number":`...)
	dst = oa.AppendInt(dst, int64(s.seq))
	s.seq++
	return dst
}

// lifecycle appends an event carrying the whole response object.
func (s *Stream) lifecycle(dst []byte, typ string) []byte {
	dst = s.head(dst, typ)
	dst = append(dst, `,"response":`...)
	dst = AppendResponse(dst, &s.Resp)
	return append(dst, "}\n\n"...)
}

// itemRef appends "item_id" and "output_index" of the open item.
func (s *Stream) itemRef(dst []byte) []byte {
	dst = append(dst, `,"item_id":`...)
	dst = oa.AppendString(dst, s.Resp.Output[s.open].ID)
	dst = append(dst, `,"output_index":`...)
	return oa.AppendInt(dst, int64(s.open))
}

func (s *Stream) itemEvent(dst []byte, typ string) []byte {
	dst = s.head(dst, typ)
	dst = append(dst, `,"output_index":`...)
	dst = oa.AppendInt(dst, int64(s.open))
	dst = append(dst, `,"item":`...)
	dst = appendItem(dst, &s.Resp.Output[s.open])
	return append(dst, "}\n\n"...)
}

func (s *Stream) partEvent(dst []byte, typ, text string) []byte {
	dst = s.itemRef(s.head(dst, typ))
	dst = append(dst, `,"content_index":0,"part":`...)
	dst = appendTextPart(dst, text)
	return append(dst, "}\n\n"...)
}

func (s *Stream) openMessage(dst []byte) []byte {
	n := 0
	for i := range s.Resp.Output {
		if s.Resp.Output[i].Type == itemMessage {
			n++
		}
	}
	s.open = len(s.Resp.Output)
	s.Resp.Output = append(s.Resp.Output, Item{Type: itemMessage, ID: ItemID(s.Resp.ID, "msg", n), Status: StatusInProgress})
	s.buf = s.buf[:0]
	dst = s.itemEvent(dst, "response.output_item.added")
	return s.partEvent(dst, "response.content_part.added", "")
}

func (s *Stream) openCall(dst []byte, tc *llm.ToolCallDelta) []byte {
	id := tc.ID
	if id == "" {
		id = ItemID(s.Resp.ID, "call", s.calls)
	}
	s.open, s.toolIdx = len(s.Resp.Output), tc.Index
	s.Resp.Output = append(s.Resp.Output, Item{Type: itemCall, ID: ItemID(s.Resp.ID, "fc", s.calls), Status: StatusInProgress,
		Call: llm.ToolCall{ID: id, Name: tc.Name}})
	s.calls++
	s.buf = s.buf[:0]
	return s.itemEvent(dst, "response.output_item.added")
}

func (s *Stream) textDelta(dst, text []byte) []byte {
	s.buf = append(s.buf, text...)
	dst = s.itemRef(s.head(dst, "response.output_text.delta"))
	dst = append(dst, `,"content_index":0,"delta":`...)
	dst = oa.AppendBytes(dst, text)
	return append(dst, ",\"logprobs\":[]}\n\n"...)
}

func (s *Stream) argsDelta(dst, args []byte) []byte {
	s.buf = append(s.buf, args...)
	dst = s.itemRef(s.head(dst, "response.function_call_arguments.delta"))
	dst = append(dst, `,"delta":`...)
	dst = oa.AppendBytes(dst, args)
	return append(dst, "}\n\n"...)
}

// settle copies the open item's streamed bytes into it.
func (s *Stream) settle(it *Item) {
	if it.Type == itemCall {
		it.Call.Arguments = string(s.buf)
	} else {
		it.Text = string(s.buf)
	}
}

// close appends the done events of the open item, if any.
func (s *Stream) close(dst []byte) []byte {
	if s.open < 0 {
		return dst
	}
	it := &s.Resp.Output[s.open]
	s.settle(it)
	it.Status = StatusCompleted
	if it.Type == itemCall {
		dst = s.itemRef(s.head(dst, "response.function_call_arguments.done"))
		dst = append(dst, `,"name":`...)
		dst = oa.AppendString(dst, it.Call.Name)
		dst = append(dst, `,"arguments":`...)
		dst = oa.AppendString(dst, it.Call.Arguments)
		dst = append(dst, "}\n\n"...)
	} else {
		dst = s.itemRef(s.head(dst, "response.output_text.done"))
		dst = append(dst, `,"content_index":0,"text":`...)
		dst = oa.AppendString(dst, it.Text)
		dst = append(dst, ",\"logprobs\":[]}\n\n"...)
		dst = s.partEvent(dst, "response.content_part.done", it.Text)
	}
	dst = s.itemEvent(dst, "response.output_item.done")
	s.open = -1
	return dst
}
