package watsonx

import (
	"bytes"
	"net/http"
	"strconv"
)

// framer adds watsonx's SSE framing (PROVIDERS.md §5.6) to emukit's
// data-only stream driver, so the driver's fault handling (delays, cuts,
// stalls, malformed lines, in-band errors, the missing terminator) is reused
// as is. Each `data: …` event the driver writes becomes
//
//	id: <n>
//	event: message        (or "error" for the in-band error)
//	data: …
//
// and the driver's `data: [DONE]` becomes watsonx's real end: the usage
// chunk with empty choices, then `event: close`. With no_done the driver
// writes no terminator, so neither is sent.
type framer struct {
	http.ResponseWriter
	seq   int
	next  string // event name of the next data event; "" is message
	final []byte // the usage chunk sent at the end; nil after an error
	buf   []byte
}

var (
	dataPrefix = []byte("data: ")
	doneData   = []byte("[DONE]")
)

// Unwrap lets http.ResponseController reach the real writer to flush.
func (f *framer) Unwrap() http.ResponseWriter { return f.ResponseWriter }

// Write reframes one event; the driver writes exactly one per call.
func (f *framer) Write(p []byte) (int, error) {
	data, ok := bytes.CutPrefix(p, dataPrefix)
	if !ok {
		return f.ResponseWriter.Write(p) // a comment line: pass through
	}
	data = bytes.TrimSuffix(data, []byte("\n\n"))
	f.buf = f.buf[:0]
	if bytes.Equal(data, doneData) {
		if f.final != nil {
			f.event("message", f.final)
		}
		f.event("close", nil)
	} else {
		name := "message"
		if f.next != "" {
			name, f.next = f.next, ""
		}
		f.event(name, data)
	}
	if _, err := f.ResponseWriter.Write(f.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// event appends one framed event to f.buf. close carries an empty data
// line: a client must not parse it as a chunk.
func (f *framer) event(name string, data []byte) {
	f.seq++
	f.buf = append(f.buf, "id: "...)
	f.buf = strconv.AppendInt(f.buf, int64(f.seq), 10)
	f.buf = append(f.buf, "\nevent: "...)
	f.buf = append(f.buf, name...)
	f.buf = append(f.buf, "\ndata: "...)
	f.buf = append(f.buf, data...)
	f.buf = append(f.buf, "\n\n"...)
}
