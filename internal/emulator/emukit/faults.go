// Package emukit is the machinery shared by windrose's provider emulators:
// the fault set and its control endpoints, an SSE writer, a fault-aware
// stream driver and a deterministic fake model. It knows no provider's wire
// format; each emulator package renders the model's reply in its own.
package emukit

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"
)

// Error kinds a fault may name in Faults.ErrorKind. Each emulator maps them to
// its provider's documented error body and default status.
const (
	KindContextLength = "context_length"
	KindInvalidModel  = "invalid_model"
	// KindModelRetired is the provider's answer for a model id it no longer
	// (or never) serves at this deployment: retired, not found, not deployed.
	KindModelRetired  = "model_retired"
	KindRateLimit     = "rate_limit"
	KindCapacity      = "capacity"
	KindContentFilter = "content_filter"
	KindServer        = "server"
	KindAuth          = "auth"
	KindCredits       = "credits"
	KindTimeout       = "timeout"
)

var knownKinds = [...]string{KindContextLength, KindInvalidModel, KindModelRetired, KindRateLimit, KindCapacity,
	KindContentFilter, KindServer, KindAuth, KindCredits, KindTimeout}

// Count is a number of stream chunks after which a fault fires. Its zero
// value means "off"; On distinguishes "after 0 chunks" (fire before the first
// chunk) from off. In JSON it is a non-negative integer, or null/absent for
// off. As a flag, a negative value (the default, -1) means off.
type Count struct {
	N  int
	On bool
}

// After returns a Count that fires after n chunks.
func After(n int) Count { return Count{N: n, On: true} }

// IsZero reports whether the count is off; it lets `omitzero` drop it.
func (c Count) IsZero() bool { return !c.On }

// Hit reports whether the fault fires once sent chunks have been written.
func (c Count) Hit(sent int) bool { return c.On && c.N == sent }

// MarshalJSON writes the count, or null when off.
func (c Count) MarshalJSON() ([]byte, error) {
	if !c.On {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(c.N), 10), nil
}

// UnmarshalJSON reads a non-negative integer or null.
func (c *Count) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*c = Count{}
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 {
		return fmt.Errorf("chunk count must be a non-negative integer or null, got %s", b)
	}
	*c = After(n)
	return nil
}

// String implements flag.Value.
func (c *Count) String() string {
	if c == nil || !c.On {
		return "-1"
	}
	return strconv.Itoa(c.N)
}

// Set implements flag.Value; negative values switch the fault off.
func (c *Count) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("not an integer: %q", s)
	}
	if n < 0 {
		*c = Count{}
		return nil
	}
	*c = After(n)
	return nil
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("500ms"); zero means off.
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a Go duration string such as "250ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"500ms\", got %s", b)
	}
	return d.Set(s)
}

// String implements flag.Value.
func (d *Duration) String() string {
	if d == nil {
		return "0s"
	}
	return time.Duration(*d).String()
}

// Set implements flag.Value; it rejects negative durations.
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("duration must not be negative: %s", s)
	}
	*d = Duration(v)
	return nil
}

// Faults is the set of misbehaviours an emulator applies. The zero value is a
// healthy emulator. Rate selects which requests get the whole set (0 means
// every request); a selected request then fails with Status/ErrorKind before
// any processing, or, without those, gets the delays and stream faults.
// Stream faults count data events (the chunks after the headers, including a
// role-only first chunk and a usage-only last chunk). On a non-stream request
// cut_after and stall_after act before the body, malformed_after truncates the
// body, and no_done / in_band_error_after do nothing.
type Faults struct {
	Status           int      `json:"status,omitzero"`
	Rate             float64  `json:"rate,omitzero"`
	RetryAfter       int      `json:"retry_after,omitzero"`
	FirstTokenDelay  Duration `json:"first_token_delay,omitzero"`
	ChunkDelay       Duration `json:"chunk_delay,omitzero"`
	CutAfter         Count    `json:"cut_after,omitzero"`
	MalformedAfter   Count    `json:"malformed_after,omitzero"`
	StallAfter       Count    `json:"stall_after,omitzero"`
	NoDone           bool     `json:"no_done,omitzero"`
	InBandErrorAfter Count    `json:"in_band_error_after,omitzero"`
	ErrorKind        string   `json:"error_kind,omitzero"`
	// RefusePrefix rejects a final assistant message with prefix: true
	// with a 400, as a host that does not support assistant prefill would.
	RefusePrefix bool `json:"refuse_prefix,omitzero"`
	// ReplyVariant seeds the fake model differently: a non-empty variant
	// changes every text answer, so a replay on this emulator diverges.
	ReplyVariant string `json:"reply_variant,omitzero"`
	// ToolCallFragments streams each tool call the way OpenAI documents
	// it: a chunk with the call's id and name, its arguments in this many
	// pieces, then the finish reason in a chunk of its own, so a cut can
	// land inside a call. 0 sends each call whole in one chunk. Honoured
	// by the OpenRouter emulator (an OpenAI-format stream).
	ToolCallFragments int `json:"tool_call_fragments,omitzero"`
}

// Fails reports whether a selected request is answered with an error status
// instead of being served.
func (f *Faults) Fails() bool { return f.Status != 0 || f.ErrorKind != "" }

// Active reports whether any fault is set.
func (f *Faults) Active() bool { return *f != Faults{} }

// breaksStream reports whether a fault ruins a stream that would otherwise
// succeed, so the request counts as failed.
func (f *Faults) breaksStream() bool {
	return f.CutAfter.On || f.MalformedAfter.On || f.StallAfter.On || f.NoDone || f.InBandErrorAfter.On
}

// Validate reports every problem with the set at once.
func (f *Faults) Validate() error {
	var errs []error
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status: %d is not an HTTP error code (400-599)", f.Status))
	}
	if f.Rate < 0 || f.Rate > 1 {
		errs = append(errs, fmt.Errorf("rate: %g is outside 0..1", f.Rate))
	}
	if f.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("retry_after: %d must not be negative", f.RetryAfter))
	}
	if f.ToolCallFragments < 0 {
		errs = append(errs, fmt.Errorf("tool_call_fragments: %d must not be negative", f.ToolCallFragments))
	}
	if f.ErrorKind != "" && !knownKind(f.ErrorKind) {
		errs = append(errs, fmt.Errorf("error_kind: unknown %q (known: %v)", f.ErrorKind, knownKinds))
	}
	return errors.Join(errs...)
}

func knownKind(k string) bool {
	for _, known := range knownKinds {
		if k == known {
			return true
		}
	}
	return false
}

// RegisterFlags defines the fault flags of `windrose emulate` on fs and
// returns the set they fill once fs is parsed. Call Validate after parsing.
func RegisterFlags(fs *flag.FlagSet) *Faults {
	f := &Faults{}
	fs.IntVar(&f.Status, "status", 0, "fail requests with this HTTP status (0: off)")
	fs.Float64Var(&f.Rate, "rate", 0, "share of requests (0..1) that get the faults; 0 means all")
	fs.IntVar(&f.RetryAfter, "retry-after", 0, "Retry-After seconds sent with a 429/503 fault")
	fs.Var(&f.FirstTokenDelay, "first-token-delay", "delay before the first chunk (e.g. 500ms)")
	fs.Var(&f.ChunkDelay, "chunk-delay", "delay between chunks (e.g. 20ms)")
	fs.Var(&f.CutAfter, "cut-after", "drop the connection after N chunks (-1: off)")
	fs.Var(&f.MalformedAfter, "malformed-after", "send one malformed data line after N chunks (-1: off)")
	fs.Var(&f.StallAfter, "stall-after", "stop sending after N chunks, keep the connection (-1: off)")
	fs.BoolVar(&f.NoDone, "no-done", false, "end streams without the terminator")
	fs.Var(&f.InBandErrorAfter, "in-band-error-after", "send the provider's in-band error after N chunks (-1: off)")
	fs.BoolVar(&f.RefusePrefix, "refuse-prefix", false, "reject an assistant prefix (prefix: true) with a 400")
	fs.StringVar(&f.ReplyVariant, "reply-variant", "", "seed the fake model's text answers differently (replays diverge)")
	fs.IntVar(&f.ToolCallFragments, "tool-call-fragments", 0, "stream each tool call's arguments in N pieces, OpenAI style (0: whole)")
	fs.StringVar(&f.ErrorKind, "error-kind", "", "error body to fail with: "+fmt.Sprint(knownKinds))
	return f
}
