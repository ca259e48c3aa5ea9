package vertex

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/mistral"
)

// containerKey is the credential between "Vertex" and its container; the
// client's token never reaches the container.
const containerKey = "vertex-internal"

// runContainer plays Mistral's container: the Mistral emulator, with the
// request's container-level faults, answers body into w. A cut (the
// container aborting its response) becomes UNAVAILABLE, as a reset
// connection reaches a gRPC client; a stall holds until the client leaves.
func (s *Server) runContainer(ctx context.Context, w *containerWriter, body []byte, f emukit.Faults) (err error) {
	opts := s.opts
	opts.APIKey, opts.Faults = containerKey, f
	// La Plateforme's moving names do not apply: on Vertex
	// "mistral-medium-3" is Medium 3 itself (PROVIDERS.md §0), and the
	// answer names the model asked for.
	opts.Aliases = map[string]string{}
	c := mistral.New(opts)
	r, rerr := http.NewRequestWithContext(ctx, http.MethodPost, "/v1/chat/completions", bytes.NewReader(body))
	if rerr != nil {
		return status.Error(codes.Internal, rerr.Error())
	}
	r.Header.Set("Authorization", "Bearer "+containerKey)
	r.Header.Set("Content-Type", "application/json")
	defer func() {
		if err != nil {
			w.stop()
			w.mu.Lock()
			w.pending = nil // a cut or refused answer never sends its tail
			w.mu.Unlock()
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			s.ctl.RecordBroken()
			err = status.Error(codes.Unavailable, "upstream connect error or disconnect/reset before headers. reset reason: connection termination")
		}
	}()
	c.ServeHTTP(w, r)
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	if err := w.err(); err != nil {
		return err
	}
	if broken(&f) && w.status == http.StatusOK {
		s.ctl.RecordBroken()
	}
	s.ctl.Record(w.status)
	return nil
}

func broken(f *emukit.Faults) bool {
	return f.MalformedAfter.On || f.NoDone || f.InBandErrorAfter.On
}

// containerError relays a container error the way Vertex's gRPC surface
// does: the status code for the container's HTTP status, the container's
// JSON body as the message.
func (s *Server) containerError(w *containerWriter) error {
	return statusError(codeOfHTTP(w.status), string(w.buf), 0)
}

// containerWriter is the http.ResponseWriter the container writes to. For
// RawPredict (send nil) it collects the body. For StreamRawPredict each
// flush of a 200 answer is sent on as HttpBody messages, split by split.
type containerWriter struct {
	header http.Header
	status int
	buf    []byte
	send   func([]byte) error
	split  func(n int) (cuts []int, hold bool)

	mu      sync.Mutex // guards pending, timer, sendErr and calls to send
	pending []byte     // a tail held back to open the next message
	timer   *time.Timer
	sendErr error
}

// holdFor bounds how long a held-back tail waits for the next flush: a
// relay buffers briefly, it does not sit on bytes while the model is slow.
const holdFor = 20 * time.Millisecond

func newContainerWriter(send func([]byte) error, split func(int) ([]int, bool)) *containerWriter {
	return &containerWriter{header: http.Header{}, send: send, split: split}
}

func (w *containerWriter) Header() http.Header { return w.header }

func (w *containerWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *containerWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if err := w.err(); err != nil {
		return 0, err
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *containerWriter) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sendErr
}

// FlushError sends what was written since the last flush (streams only).
func (w *containerWriter) FlushError() error {
	if w.send == nil || w.status != http.StatusOK {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sendErr != nil {
		return w.sendErr
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	data := append(w.pending, w.buf...)
	w.buf, w.pending = w.buf[:0], nil
	if len(data) == 0 {
		return nil
	}
	cuts, hold := w.split(len(data))
	start := 0
	for i, end := range append(cuts, len(data)) {
		piece := data[start:end]
		start = end
		if hold && i == len(cuts) && len(cuts) > 0 {
			// Keep the last piece for the next message: one message then
			// carries the end of this event and the start of the next.
			w.pending = append([]byte(nil), piece...)
			w.timer = time.AfterFunc(holdFor, w.sendPending)
			break
		}
		if err := w.send(piece); err != nil {
			w.sendErr = err
			return err
		}
	}
	return nil
}

// sendPending sends a held-back tail (the hold timer's job).
func (w *containerWriter) sendPending() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 || w.sendErr != nil {
		return
	}
	p := w.pending
	w.pending = nil
	w.sendErr = w.send(p)
}

// finish sends a held-back tail once the container is done; the handler
// returns only after it, so no send can follow the end of the RPC.
func (w *containerWriter) finish() error {
	w.stop()
	w.sendPending()
	return w.err()
}

// stop cancels the hold timer and drops any held tail (a cut stream).
func (w *containerWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

// splitter returns the per-request splitting rule: up to three pieces at
// random byte offsets, and a held-back tail one time in three. Seeded from
// the options and the request sequence, so a run is repeatable.
func (s *Server) splitter() func(int) ([]int, bool) {
	rng := rand.New(rand.NewPCG(uint64(s.opts.Seed), s.ctl.NextID()))
	return func(n int) ([]int, bool) {
		if n < 2 {
			return nil, false
		}
		var cuts []int
		for k := rng.IntN(3); k > 0; k-- {
			c := 1 + rng.IntN(n-1)
			if len(cuts) == 0 || c > cuts[len(cuts)-1] {
				cuts = append(cuts, c)
			}
		}
		return cuts, rng.IntN(3) == 0
	}
}
