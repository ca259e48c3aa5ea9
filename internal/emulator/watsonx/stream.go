package watsonx

import (
	"net/http"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// stream writes the chat_stream answer: per choice (one per reply, the
// request's n, in index order) a role chunk, one chunk per word (or a tool
// call in fragments: id and name first, then the arguments in two
// pieces) and a chunk with the finish reason; then the usage chunk with
// empty choices and `event: close` (see framer). A time_limit that passes
// mid-answer ends it with finish "time_limit", as watsonx does.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, f emukit.Faults, m *meta, replies []emukit.Reply, deadline time.Time) {
	fw := &framer{ResponseWriter: w}
	var b []byte
	completion := 0
	cfg := &emukit.StreamConfig{
		DoneAfterInBandError: true,
		InBandError: func(int) []byte {
			// watsonx reports a mid-stream failure as `event: error` with its
			// error envelope; no usage follows.
			fw.next, fw.final = "error", nil
			return errorBody(http.StatusInternalServerError, codeServer, "Generation failed: the model server encountered an error", s.ctl.NextID())
		},
	}
	st := s.ctl.OpenStream(fw, r, f, cfg)
	for c := range replies {
		reply := &replies[c]
		if !st.Send(m.chunk(b, c, func(b []byte) []byte { return append(b, `{"role":"assistant","content":""}`...) }, "")) {
			return
		}
		finish := reply.Finish
		if len(reply.ToolCalls) > 0 {
			for i := range reply.ToolCalls {
				tc := &reply.ToolCalls[i]
				half := len(tc.Arguments) / 2
				for _, d := range []func([]byte) []byte{
					toolDelta(i, tc, true, ""), toolDelta(i, tc, false, tc.Arguments[:half]), toolDelta(i, tc, false, tc.Arguments[half:]),
				} {
					if b = m.chunk(b, c, d, ""); !st.Send(b) {
						return
					}
				}
			}
			completion += reply.CompletionTokens
		} else {
			for _, word := range reply.Content {
				if !deadline.IsZero() && time.Now().After(deadline) {
					finish = "time_limit"
					break
				}
				if b = m.chunk(b, c, contentDelta(word), ""); !st.Send(b) {
					return
				}
				completion++
			}
		}
		if !st.Send(m.chunk(b, c, contentDelta(""), finish)) {
			return
		}
	}
	fw.final = m.usageChunk(replies[0].PromptTokens, completion)
	st.Finish()
}
