package bedrock

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/aws/smithy-go/eventstream"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// frame is one event message: its :event-type and JSON payload.
type frame struct {
	event   string
	payload []byte
}

// eventContentType is the stream's HTTP Content-Type (PROVIDERS.md §2.6).
const eventContentType = "application/vnd.amazon.eventstream"

// frameWriter writes application/vnd.amazon.eventstream messages (prelude,
// headers, payload, CRC32s, by smithy-go's encoder), one flush each, and
// applies a stream's faults the way emukit's SSE driver does: delays before
// frames, a cut or stall after N frames, one frame with a broken CRC, an
// exception frame in place of the rest, or no final metadata event.
type frameWriter struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	ctx    context.Context
	c      *emukit.Controller
	f      emukit.Faults
	enc    *eventstream.Encoder
	buf    bytes.Buffer
	sent   int
	ended  bool
	broken bool
	bad    bool // the malformed frame was sent
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, f emukit.Faults, a *answer) {
	s.ctl.Record(http.StatusOK)
	w.Header().Set("Content-Type", eventContentType)
	w.WriteHeader(http.StatusOK)
	fw := &frameWriter{w: w, rc: http.NewResponseController(w), ctx: r.Context(), c: s.ctl, f: f, enc: eventstream.NewEncoder()}
	_ = fw.rc.Flush()
	for _, fr := range a.frames() {
		if !fw.send(fr) {
			return
		}
	}
	if f.NoDone {
		fw.markBroken() // the stream closes without its metadata event
		return
	}
	fw.send(a.metadata())
}

func (fw *frameWriter) encode(h eventstream.Headers, payload []byte) []byte {
	fw.buf.Reset()
	_ = fw.enc.Encode(&fw.buf, eventstream.Message{Headers: h, Payload: payload})
	return fw.buf.Bytes()
}

func eventHeaders(event string) eventstream.Headers {
	var h eventstream.Headers
	h.Set(":event-type", eventstream.StringValue(event))
	h.Set(":content-type", eventstream.StringValue("application/json"))
	h.Set(":message-type", eventstream.StringValue("event"))
	return h
}

// send writes one event frame after the faults due before it; false means
// the stream is over.
func (fw *frameWriter) send(fr frame) bool {
	if fw.ended {
		return false
	}
	delay := fw.f.ChunkDelay
	if fw.sent == 0 {
		delay = fw.f.FirstTokenDelay
	}
	if !fw.wait(time.Duration(delay)) {
		return false
	}
	switch {
	case fw.f.CutAfter.Hit(fw.sent):
		fw.markBroken()
		panic(http.ErrAbortHandler) // drop the connection mid-stream
	case fw.f.StallAfter.Hit(fw.sent):
		fw.markBroken()
		<-fw.ctx.Done()
		fw.ended = true
		return false
	case fw.f.InBandErrorAfter.Hit(fw.sent):
		fw.markBroken()
		typ, payload := exception(fw.f.ErrorKind)
		var h eventstream.Headers
		h.Set(":exception-type", eventstream.StringValue(typ))
		h.Set(":content-type", eventstream.StringValue("application/json"))
		h.Set(":message-type", eventstream.StringValue("exception"))
		fw.write(fw.encode(h, payload))
		fw.ended = true
		return false
	case fw.f.MalformedAfter.Hit(fw.sent) && !fw.bad:
		// A frame whose message CRC is wrong: a decoder that does not check
		// CRCs, or resynchronises after a bad frame, gets caught.
		fw.bad = true
		fw.markBroken()
		b := fw.encode(eventHeaders(fr.event), fr.payload)
		b[len(b)-1] ^= 0xff
		if !fw.write(b) {
			return false
		}
	}
	if !fw.write(fw.encode(eventHeaders(fr.event), fr.payload)) {
		return false
	}
	fw.sent++
	return true
}

func (fw *frameWriter) write(b []byte) bool {
	if _, err := fw.w.Write(b); err != nil {
		fw.ended = true
		return false
	}
	if err := fw.rc.Flush(); err != nil {
		fw.ended = true
		return false
	}
	return true
}

func (fw *frameWriter) markBroken() {
	if !fw.broken {
		fw.broken = true
		fw.c.RecordBroken()
	}
}

func (fw *frameWriter) wait(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-fw.ctx.Done():
		fw.ended = true
		return false
	}
}
