// Package fastupstream is a deliberately minimal OpenAI/Mistral-dialect chat
// upstream for overhead measurements. Every answer is rendered once, at
// construction, so serving one costs little more than the HTTP round trip:
// the thing under test (a proxy or windrose in front of it) must be the
// bottleneck, never this server. The provider emulators validate requests
// and simulate faults; at tens of microseconds per request they would
// dominate the numbers, which is why this package exists.
//
// It answers POST on any path ending in /chat/completions (Mistral's
// /v1/chat/completions and an OpenAI-kind base URL's /chat/completions) and
// checks nothing else: no credentials, no body validation. A request whose
// body contains "stream":true gets the stream, any other the complete
// answer.
package fastupstream

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options shapes the answers.
type Options struct {
	// Chunks is the number of content chunks in a streamed answer, besides
	// the role chunk and the final chunk with finish_reason and usage.
	// Default 16.
	Chunks int
	// Word is the content of each chunk. Default " word".
	Word string
	// Batch writes the whole stream in one write instead of flushing each
	// chunk. Default false: a real provider flushes each chunk, and a
	// relay's per-chunk cost only shows when chunks arrive one by one.
	Batch bool
	// Delay is the pause after each content chunk but the last (the role
	// chunk and the first content chunk go out at once, so a relay that
	// waits for content to commit is not held up): a slow stream, so that
	// many can be in flight at once (memory per stream). Default 0.
	Delay time.Duration
}

// Server is the upstream's http.Handler.
type Server struct {
	full   []byte   // the non-streamed answer
	chunks [][]byte // each SSE event of the streamed answer, [DONE] last
	batch  []byte   // chunks joined, for Options.Batch
	opts   Options
	bufs   sync.Pool
}

// New renders the answers for o.
func New(o Options) *Server {
	if o.Chunks <= 0 {
		o.Chunks = 16
	}
	if o.Word == "" {
		o.Word = " word"
	}
	s := &Server{opts: o, bufs: sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4<<10)) }}}
	s.full = renderFull(o)
	s.chunks = renderChunks(o)
	s.batch = bytes.Join(s.chunks, nil)
	return s
}

// Stream returns the bytes of the streamed answer, as sent.
func (s *Server) Stream() []byte { return s.batch }

// Full returns the bytes of the non-streamed answer.
func (s *Server) Full() []byte { return s.full }

// header is the start of every body: the members each answer repeats.
func header(object string) string {
	return `{"id":"cmpl-fastupstream0000000000000000001","object":"` + object +
		`","created":1767225600,"model":"mistral-medium-2508",`
}

func usage(completion int) string {
	return `"usage":{"prompt_tokens":16,"completion_tokens":` + strconv.Itoa(completion) +
		`,"total_tokens":` + strconv.Itoa(16+completion) + `}`
}

func renderFull(o Options) []byte {
	content := strings.Repeat(o.Word, o.Chunks)
	q := strconv.Quote(content) // the word is plain ASCII in every use here
	return []byte(header("chat.completion") +
		`"choices":[{"index":0,"message":{"role":"assistant","content":` + q +
		`,"tool_calls":null},"finish_reason":"stop"}],` + usage(o.Chunks) + "}")
}

func renderChunks(o Options) [][]byte {
	h := "data: " + header("chat.completion.chunk") + `"choices":[{"index":0,"delta":`
	out := make([][]byte, 0, o.Chunks+3)
	out = append(out, []byte(h+`{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n"))
	word := strconv.Quote(o.Word)
	for range o.Chunks {
		out = append(out, []byte(h+`{"content":`+word+`},"finish_reason":null}]}`+"\n\n"))
	}
	out = append(out, []byte(h+`{"content":""},"finish_reason":"stop"}],`+usage(o.Chunks)+"}\n\n"))
	return append(out, []byte("data: [DONE]\n\n"))
}

var streamFlag = []byte(`"stream":true`)

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	buf := s.bufs.Get().(*bytes.Buffer)
	_, err := buf.ReadFrom(r.Body)
	stream := bytes.Contains(buf.Bytes(), streamFlag)
	buf.Reset()
	s.bufs.Put(buf)
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	h := w.Header()
	if !stream {
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{strconv.Itoa(len(s.full))}
		_, _ = w.Write(s.full)
		return
	}
	h["Content-Type"] = []string{"text/event-stream"}
	h["Cache-Control"] = []string{"no-cache"}
	if s.opts.Batch {
		_, _ = w.Write(s.batch)
		return
	}
	f, _ := w.(http.Flusher)
	var pause *time.Timer
	if s.opts.Delay > 0 {
		pause = time.NewTimer(s.opts.Delay)
		defer pause.Stop()
	}
	for i, c := range s.chunks {
		if _, err := w.Write(c); err != nil {
			return
		}
		if f != nil {
			f.Flush()
		}
		if pause != nil && i >= 1 && i < len(s.chunks)-3 {
			pause.Reset(s.opts.Delay)
			select {
			case <-r.Context().Done():
				return
			case <-pause.C:
			}
		}
	}
}

// Discard reads and drops a response body, so the connection is reused.
// Load generators share it with tests of this package.
func Discard(body io.ReadCloser) (int64, error) {
	n, err := io.Copy(io.Discard, body)
	if cerr := body.Close(); err == nil {
		err = cerr
	}
	return n, err
}
