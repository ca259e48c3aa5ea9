package emukit

import (
	"context"
	"net/http"
	"time"
)

// SSE writes server-sent events and flushes each one, so a client sees every
// event as soon as it is written.
type SSE struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
}

// StartSSE sends a 200 with the event-stream headers (plus any the caller set
// on w beforehand) and returns the writer.
func StartSSE(w http.ResponseWriter) *SSE {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	s := &SSE{w: w, rc: http.NewResponseController(w), buf: make([]byte, 0, 512)}
	_ = s.rc.Flush()
	return s
}

// Data writes one `data: …` event.
func (s *SSE) Data(b []byte) error {
	s.buf = append(append(append(s.buf[:0], "data: "...), b...), "\n\n"...)
	return s.write()
}

// Comment writes one `: …` comment line (an SSE keep-alive).
func (s *SSE) Comment(text string) error {
	s.buf = append(append(append(s.buf[:0], ": "...), text...), "\n\n"...)
	return s.write()
}

func (s *SSE) write() error {
	if _, err := s.w.Write(s.buf); err != nil {
		return err
	}
	return s.rc.Flush()
}

// StreamConfig is what a provider tells the stream driver about its dialect.
type StreamConfig struct {
	// Comment, when set, is written as an SSE comment right after the headers
	// and every KeepAlive while the first token is delayed.
	Comment   string
	KeepAlive time.Duration
	// InBandError renders the provider's mid-stream error event; nil means the
	// provider has none and in_band_error_after is ignored.
	InBandError func(sent int) []byte
	// DoneAfterInBandError sends the terminator after the in-band error.
	DoneAfterInBandError bool
}

// Stream drives one streamed answer through a fault set: delays, cuts,
// stalls, malformed lines, in-band errors and the terminator.
type Stream struct {
	sse       *SSE
	ctx       context.Context
	c         *Controller
	f         Faults
	cfg       *StreamConfig
	sent      int
	ended     bool
	broken    bool
	malformed bool
}

// OpenStream starts the SSE response (recording a 200) and returns the driver.
func (c *Controller) OpenStream(w http.ResponseWriter, r *http.Request, f Faults, cfg *StreamConfig) *Stream {
	c.Record(http.StatusOK)
	s := &Stream{sse: StartSSE(w), ctx: r.Context(), c: c, f: f, cfg: cfg}
	if cfg.Comment != "" {
		s.endIf(s.sse.Comment(cfg.Comment))
	}
	return s
}

// Sent returns how many data events have been written.
func (s *Stream) Sent() int { return s.sent }

// Send writes one data event, applying the faults due before it. It returns
// false once the stream is over (a fault ended it or the client went away);
// the caller then stops producing events.
func (s *Stream) Send(data []byte) bool {
	if s.ended {
		return false
	}
	delay := s.f.ChunkDelay
	if s.sent == 0 {
		delay = s.f.FirstTokenDelay
	}
	if !s.wait(time.Duration(delay)) {
		return false
	}
	switch {
	case s.f.CutAfter.Hit(s.sent):
		s.markBroken()
		// Abort the response: net/http closes the connection without the
		// chunked terminator, so the client sees an abrupt EOF.
		panic(http.ErrAbortHandler)
	case s.f.StallAfter.Hit(s.sent):
		s.markBroken()
		<-s.ctx.Done()
		s.ended = true
		return false
	case s.f.InBandErrorAfter.Hit(s.sent) && s.cfg.InBandError != nil:
		s.markBroken()
		s.endIf(s.sse.Data(s.cfg.InBandError(s.sent)))
		if s.cfg.DoneAfterInBandError && !s.f.NoDone {
			s.endIf(s.sse.Data([]byte("[DONE]")))
		}
		s.ended = true
		return false
	case s.f.MalformedAfter.Hit(s.sent) && !s.malformed:
		// One broken line (a JSON object cut in half), then the stream goes
		// on: a client that skips bad lines instead of failing gets caught.
		s.malformed = true
		s.markBroken()
		if !s.endIf(s.sse.Data(data[:len(data)/2])) {
			return false
		}
	}
	if !s.endIf(s.sse.Data(data)) {
		return false
	}
	s.sent++
	return true
}

// Finish ends the stream with `data: [DONE]` unless a fault says otherwise.
func (s *Stream) Finish() {
	if s.ended {
		return
	}
	s.ended = true
	if s.f.NoDone {
		s.markBroken()
		return
	}
	_ = s.sse.Data([]byte("[DONE]"))
}

// endIf marks the stream over when err is set; it returns err == nil.
func (s *Stream) endIf(err error) bool {
	if err != nil {
		s.ended = true
		return false
	}
	return true
}

func (s *Stream) markBroken() {
	if !s.broken {
		s.broken = true
		s.c.RecordBroken()
	}
}

// wait sleeps d, sending keep-alive comments meanwhile if configured. It
// returns false if the client went away.
func (s *Stream) wait(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	var tick <-chan time.Time
	if s.cfg.Comment != "" && s.cfg.KeepAlive > 0 && s.sent == 0 {
		t := time.NewTicker(s.cfg.KeepAlive)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-deadline.C:
			return true
		case <-s.ctx.Done():
			s.ended = true
			return false
		case <-tick:
			if !s.endIf(s.sse.Comment(s.cfg.Comment)) {
				return false
			}
		}
	}
}

// Answer writes a non-stream JSON answer through the faults that apply to
// it: first_token_delay before it; cut_after drops the connection and
// stall_after holds it instead of answering; malformed_after truncates it.
func (c *Controller) Answer(w http.ResponseWriter, r *http.Request, f Faults, body []byte) {
	if !sleep(r.Context(), time.Duration(f.FirstTokenDelay)) {
		c.Record(StatusClientClosed)
		return
	}
	switch {
	case f.CutAfter.On:
		c.Record(http.StatusOK)
		c.RecordBroken()
		panic(http.ErrAbortHandler)
	case f.StallAfter.On:
		c.Record(http.StatusOK)
		c.RecordBroken()
		<-r.Context().Done()
		return
	case f.MalformedAfter.On:
		c.Record(http.StatusOK)
		c.RecordBroken()
		WriteJSON(w, http.StatusOK, body[:len(body)/2])
		return
	}
	c.Record(http.StatusOK)
	WriteJSON(w, http.StatusOK, body)
}

// StatusClientClosed is recorded when a client left before its answer (the
// nginx 499 convention); it is never written to a client.
const StatusClientClosed = 499

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
