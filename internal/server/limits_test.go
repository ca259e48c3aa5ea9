package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// doChunked posts body with no Content-Length (chunked transfer encoding).
func doChunked(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, io.MultiReader(strings.NewReader(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if req.ContentLength != 0 {
		t.Fatalf("request had a Content-Length %d; want chunked", req.ContentLength)
	}
	return resp, b
}

// trickle opens a raw connection and sends a chat request's headers and
// the first few bytes of a body that claims to be longer, then stops.
func trickle(t *testing.T, base string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":")
	return c, bufio.NewReader(c)
}

func readResponse(t *testing.T, c net.Conn, br *bufio.Reader) (*http.Response, apiError) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	defer resp.Body.Close()
	var e apiError
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &e)
	return resp, e
}

// TestBodyReadTimeout: a client that trickles its body gets a 400 once
// server.body_read_timeout passes, instead of holding a goroutine and a
// buffer for as long as it likes.
func TestBodyReadTimeout(t *testing.T) {
	_, base, _ := start(t, ", body_read_timeout: 200ms")
	c, br := trickle(t, base)
	start := time.Now()
	resp, e := readResponse(t, c, br)
	if resp.StatusCode != 400 || deref(e.Error.Code) != "request_body_timeout" {
		t.Fatalf("status %d code %q, want 400 request_body_timeout", resp.StatusCode, deref(e.Error.Code))
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("answered after %v, before the deadline", d)
	}
}

// TestInFlightCap: with max_in_flight: 1 and one request holding the slot
// (its body still arriving), the next gets 503 overloaded with
// Retry-After: 1 in OpenAI's envelope, and windrose_in_flight is exported.
func TestInFlightCap(t *testing.T) {
	_, base, _ := start(t, ", max_in_flight: 1, body_read_timeout: 5s")
	c, br := trickle(t, base)
	time.Sleep(50 * time.Millisecond) // the trickling request takes the slot
	var resp *http.Response
	var body []byte
	for range 50 { // until the server has read the trickler's headers
		resp, body = do(t, "POST", base+"/v1/chat/completions", `{"model":"mistral-medium","messages":[{"role":"user","content":"hi"}]}`, nil)
		if resp.StatusCode == 503 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var e apiError
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode != 503 || deref(e.Error.Code) != "overloaded" || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("status %d code %q Retry-After %q, want 503 overloaded 1: %s", resp.StatusCode, deref(e.Error.Code), resp.Header.Get("Retry-After"), body)
	}
	// One cap for every /v1 route: chat is served off the router
	// (Server.ServeHTTP), and must not have a cap of its own.
	if resp, body := do(t, "POST", base+"/v1/responses", `{"model":"mistral-medium","input":"hi"}`, nil); resp.StatusCode != 503 {
		t.Fatalf("responses while chat holds the only slot: %d %s, want 503", resp.StatusCode, body)
	}
	// The slot frees once the trickler is done: finish its body.
	fmt.Fprint(c, strings.Repeat(" ", 1000-len(`{"model":`)))
	if r, _ := readResponse(t, c, br); r.StatusCode != 400 {
		t.Fatalf("trickler: status %d, want 400 (its body is not JSON)", r.StatusCode)
	}
	if resp, body := do(t, "POST", base+"/v1/chat/completions", `{"model":"mistral-medium","messages":[{"role":"user","content":"hi"}]}`, nil); resp.StatusCode != 200 {
		t.Fatalf("after the slot freed: %d %s", resp.StatusCode, body)
	}
	_, metrics := do(t, "GET", base+"/metrics", "", nil)
	if !strings.Contains(string(metrics), `windrose_in_flight{model="mistral-medium"} 0`) {
		t.Errorf("windrose_in_flight not exported at 0 once idle")
	}
}

// TestPinningOptIn: with allow_pinning: false a pin is refused with a 400
// naming the header; by default (loopback) it is served.
func TestPinningOptIn(t *testing.T) {
	body := `{"model":"mistral-medium","messages":[{"role":"user","content":"hi"}]}`
	pin := map[string]string{"X-Windrose-Deployment": "mistral"}
	_, base, _ := start(t, ", allow_pinning: false")
	resp, b := do(t, "POST", base+"/v1/chat/completions", body, pin)
	var e apiError
	_ = json.Unmarshal(b, &e)
	if resp.StatusCode != 400 || deref(e.Error.Param) != "X-Windrose-Deployment" || deref(e.Error.Code) != "pinning_disabled" {
		t.Fatalf("pin with allow_pinning false: %d %s", resp.StatusCode, b)
	}
	_, base, _ = start(t, "")
	if resp, b := do(t, "POST", base+"/v1/chat/completions", body, pin); resp.StatusCode != 200 || resp.Header.Get("X-Windrose-Deployment") != "mistral" {
		t.Fatalf("pin on a loopback default: %d %s", resp.StatusCode, b)
	}
}

// TestGetModel: GET /v1/models/{id} answers OpenAI's model object for a
// name or alias (any case), and a 404 model_not_found otherwise.
func TestGetModel(t *testing.T) {
	_, base, _ := start(t, "")
	cases := []struct {
		id     string
		status int
		want   string // the id answered
	}{
		// A model's name.
		{"mistral-medium", 200, "mistral-medium"},
		// An alias, in another case: the configured spelling comes back.
		{"MISTRAL-MEDIUM-2508", 200, "mistral-medium-2508"},
		// Unknown, with a slash as OpenRouter ids have.
		{"openai/gpt-9", 404, ""},
	}
	for _, tc := range cases {
		resp, b := do(t, "GET", base+"/v1/models/"+tc.id, "", nil)
		if resp.StatusCode != tc.status {
			t.Fatalf("%s: status %d, want %d: %s", tc.id, resp.StatusCode, tc.status, b)
		}
		if tc.status != 200 {
			var e apiError
			if json.Unmarshal(b, &e) != nil || deref(e.Error.Code) != "model_not_found" {
				t.Errorf("%s: %s, want model_not_found", tc.id, b)
			}
			continue
		}
		var raw map[string]any
		_ = json.Unmarshal(b, &raw)
		if raw["id"] != tc.want || raw["object"] != "model" || raw["owned_by"] != "windrose" || raw["created"] == nil {
			t.Errorf("%s: %s", tc.id, b)
		}
	}
}

// TestChatRoute: POST /v1/chat/completions skips the router (ServeHTTP),
// so every other spelling of it must still get the router's answer, and
// the served one the whole middleware chain (request id, auth).
func TestChatRoute(t *testing.T) {
	_, base, _ := start(t, "")
	body := `{"model":"mistral-medium","messages":[{"role":"user","content":"hi"}]}`
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"POST", "/v1/chat/completions", 200, ""},
		{"GET", "/v1/chat/completions", 404, "method_not_allowed"},
		{"PUT", "/v1/chat/completions", 404, "method_not_allowed"},
		{"POST", "/v1/chat/completions/", 404, "not_found"},
		{"POST", "/v1/chat%2Fcompletions", 404, "not_found"},
		{"POST", "/v1/Chat/completions", 404, "not_found"},
	} {
		resp, b := do(t, tc.method, base+tc.path, body, map[string]string{"X-Request-Id": "route-test"})
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: status %d, want %d: %s", tc.method, tc.path, resp.StatusCode, tc.status, b)
			continue
		}
		if got := resp.Header.Get("X-Request-Id"); got != "route-test" {
			t.Errorf("%s %s: X-Request-Id %q, want the client's", tc.method, tc.path, got)
		}
		if tc.code != "" {
			var e apiError
			if json.Unmarshal(b, &e) != nil || deref(e.Error.Code) != tc.code {
				t.Errorf("%s %s: %s, want code %s", tc.method, tc.path, b, tc.code)
			}
		}
	}
}
