package emukit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// Controller holds an emulator's current fault set and its request counters
// and serves the /_emulator/ control endpoints. It is safe for concurrent use.
type Controller struct {
	faults atomic.Pointer[Faults]
	seq    atomic.Uint64

	requests, failed, streams, faulted atomic.Int64

	mu       sync.Mutex // guards rng, byStatus and notes
	rng      *rand.Rand
	byStatus map[int]int64
	notes    map[string]string
}

// NewController returns a controller starting with faults f. src drives the
// rate sampling, so a fixed seed gives a repeatable failure pattern.
func NewController(f Faults, src rand.Source) *Controller {
	c := &Controller{rng: rand.New(src), byStatus: map[int]int64{}, notes: map[string]string{}}
	c.faults.Store(&f)
	return c
}

// Faults returns the current fault set.
func (c *Controller) Faults() Faults { return *c.faults.Load() }

// SetFaults replaces the whole fault set after validating it.
func (c *Controller) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	c.faults.Store(&f)
	return nil
}

// Begin counts one API request and returns the faults that apply to it: the
// zero set when no fault is configured or the rate sampling spared it.
func (c *Controller) Begin(stream bool) Faults {
	c.requests.Add(1)
	if stream {
		c.streams.Add(1)
	}
	f := c.faults.Load()
	if !f.Active() {
		return Faults{}
	}
	if f.Rate > 0 {
		c.mu.Lock()
		spared := c.rng.Float64() >= f.Rate
		c.mu.Unlock()
		if spared {
			return Faults{}
		}
	}
	c.faulted.Add(1)
	if f.Rate > 0 && !f.Fails() && !f.breaksStream() && f.FirstTokenDelay == 0 && f.ChunkDelay == 0 {
		// A bare rate means "this share of requests fails": default to a 500.
		g := *f
		g.Status = http.StatusInternalServerError
		return g
	}
	return *f
}

// Record counts the status a request was answered with; any status of 400
// or more counts as failed.
func (c *Controller) Record(status int) {
	if status >= 400 {
		c.failed.Add(1)
	}
	c.mu.Lock()
	c.byStatus[status]++
	c.mu.Unlock()
}

// RecordBroken counts a request whose 200 answer a fault then ruined (cut,
// stall, malformed line, in-band error or missing terminator).
func (c *Controller) RecordBroken() { c.failed.Add(1) }

// Note stores a value shown in the stats under key (for example the last
// attribution header a client sent), so tests can assert on it.
func (c *Controller) Note(key, value string) {
	c.mu.Lock()
	c.notes[key] = value
	c.mu.Unlock()
}

// NextID returns a per-emulator sequence number for response ids.
func (c *Controller) NextID() uint64 { return c.seq.Add(1) }

// Stats is the body of GET /_emulator/stats. Notes are flattened into it.
type Stats struct {
	Requests int64            `json:"requests"`
	Failed   int64            `json:"failed"`
	Streams  int64            `json:"streams"`
	Faulted  int64            `json:"faulted"`
	ByStatus map[string]int64 `json:"by_status"`
	Notes    map[string]string
}

// Stats returns a snapshot of the counters.
func (c *Controller) Stats() Stats {
	s := Stats{Requests: c.requests.Load(), Failed: c.failed.Load(), Streams: c.streams.Load(),
		Faulted: c.faulted.Load(), ByStatus: map[string]int64{}, Notes: map[string]string{}}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.byStatus {
		s.ByStatus[strconv.Itoa(k)] = v
	}
	for k, v := range c.notes {
		s.Notes[k] = v
	}
	return s
}

// MarshalJSON flattens Notes next to the counters.
func (s Stats) MarshalJSON() ([]byte, error) {
	m := map[string]any{"requests": s.Requests, "failed": s.Failed, "streams": s.Streams,
		"faulted": s.Faulted, "by_status": s.ByStatus}
	for k, v := range s.Notes {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// Register adds the control endpoints to mux:
// POST and GET /_emulator/faults, GET /_emulator/stats.
func (c *Controller) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /_emulator/faults", c.postFaults)
	mux.HandleFunc("GET /_emulator/faults", func(w http.ResponseWriter, _ *http.Request) {
		writeJSONValue(w, http.StatusOK, c.Faults())
	})
	mux.HandleFunc("GET /_emulator/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSONValue(w, http.StatusOK, c.Stats())
	})
}

func (c *Controller) postFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		writeJSONValue(w, http.StatusBadRequest, map[string]string{"error": "reading body: " + err.Error()})
		return
	}
	var f Faults
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		writeJSONValue(w, http.StatusBadRequest, map[string]string{"error": "bad fault set: " + err.Error()})
		return
	}
	if dec.More() {
		writeJSONValue(w, http.StatusBadRequest, map[string]string{"error": "bad fault set: trailing data after the JSON object"})
		return
	}
	if err := c.SetFaults(f); err != nil {
		writeJSONValue(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("bad fault set: %v", err)})
		return
	}
	writeJSONValue(w, http.StatusOK, c.Faults())
}

func writeJSONValue(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding failed"}`)
	}
	WriteJSON(w, status, b)
}

// WriteJSON writes a complete JSON response.
func WriteJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Fail writes a provider's error answer and counts it. retryAfter > 0 adds
// a Retry-After header (seconds), but only on a 429 or 503, where providers
// send it.
func (c *Controller) Fail(w http.ResponseWriter, status int, body []byte, retryAfter int) {
	if retryAfter > 0 && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	c.Record(status)
	WriteJSON(w, status, body)
}
