// Package emutest holds test helpers shared by the emulator packages: golden
// files and small HTTP helpers against an httptest server.
package emutest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Golden compares got with the file at path, or rewrites the file when
// update is set (each test package passes its own -update flag).
func Golden(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", path, got, want)
	}
}

// Indent pretty-prints a JSON body so golden files diff well; a body that is
// not JSON is returned unchanged.
func Indent(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return b
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// Result is one HTTP exchange.
type Result struct {
	Status int
	Header http.Header
	Body   []byte
	Err    error // a transport or body-read error (a cut connection)
}

// Do sends a request with an optional bearer key and JSON body and reads the
// whole answer. It never fails the test: errors are in Result.Err.
func Do(t *testing.T, c *http.Client, method, url, key, body string) Result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	return Send(c, req)
}

// Send performs req and reads the whole answer.
func Send(c *http.Client, req *http.Request) Result {
	resp, err := c.Do(req)
	if err != nil {
		return Result{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Result{Status: resp.StatusCode, Header: resp.Header, Body: b, Err: err}
}

// Fixed is a fixed clock for deterministic `created` fields.
func Fixed() time.Time { return time.Unix(1767225600, 0) }

// Events counts the data events of an SSE transcript, [DONE] excluded.
func Events(transcript []byte) int {
	n := 0
	for _, line := range strings.Split(string(transcript), "\n") {
		if strings.HasPrefix(line, "data: ") && line != "data: [DONE]" {
			n++
		}
	}
	return n
}

// usageJSON re-encodes a usage object canonically (sorted keys).
func usageJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("usage %s: %v", raw, err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Collect concatenates the content deltas of an OpenAI-style SSE transcript
// and returns it with the last usage seen (canonical JSON).
func Collect(t *testing.T, transcript []byte) (text, usage string) {
	t.Helper()
	var sb strings.Builder
	for _, line := range strings.Split(string(transcript), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
			Usage json.RawMessage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatalf("bad chunk %q: %v", data, err)
		}
		for _, c := range chunk.Choices {
			sb.WriteString(c.Delta.Content)
		}
		if u := usageJSON(t, chunk.Usage); u != "" {
			usage = u
		}
	}
	return sb.String(), usage
}

// Whole returns the content and usage (canonical JSON) of a chat.completion.
func Whole(t *testing.T, body []byte) (text, usage string) {
	t.Helper()
	var resp struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Usage json.RawMessage `json:"usage"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || len(resp.Choices) == 0 {
		t.Fatalf("bad completion %s: %v", body, err)
	}
	return resp.Choices[0].Message.Content, usageJSON(t, resp.Usage)
}
