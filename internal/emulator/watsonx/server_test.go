package watsonx

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/emukit/emutest"
)

var update = flag.Bool("update", false, "rewrite golden files")

const key = "test-iam-key"

// clock is a settable time source shared by IAM and the bodies.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, opts emukit.Options, cfg IAM) (*Server, string, *clock) {
	t.Helper()
	c := &clock{t: emutest.Fixed()}
	opts.APIKey, opts.Now = key, c.now
	s := NewWithIAM(opts, cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL, c
}

// fetch exchanges apikey for a token through the form IBM documents.
func fetch(t *testing.T, root, apikey string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {apikeyGrant}, "apikey": {apikey}}
	resp, err := http.PostForm(root+"/identity/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestTokenEndpoint(t *testing.T) {
	_, root, _ := start(t, emukit.Options{}, IAM{TokenLifetime: emukit.Duration(90 * time.Second)})
	status, m := fetch(t, root, key)
	if status != 200 || m["token_type"] != "Bearer" || m["expires_in"] != 90.0 ||
		m["expiration"] != float64(emutest.Fixed().Unix()+90) || !strings.HasPrefix(m["access_token"].(string), "wxemu-") {
		t.Errorf("good key: %d %v", status, m)
	}
	tests := []struct {
		name string
		body string
		ct   string
		code string
	}{
		// A key IAM does not know: 400 BXNIM0415E, as IBM's SDK tests record.
		{"wrong key", "grant_type=" + url.QueryEscape(apikeyGrant) + "&apikey=nope", "application/x-www-form-urlencoded", "BXNIM0415E"},
		// No key at all.
		{"no key", "grant_type=" + url.QueryEscape(apikeyGrant), "application/x-www-form-urlencoded", "BXNIM0109E"},
		// Another grant type (Cloud Pak's password grant is not SaaS).
		{"grant", "grant_type=password&apikey=" + key, "application/x-www-form-urlencoded", "BXNIM0106E"},
		// JSON instead of a form.
		{"json", `{"apikey":"` + key + `"}`, "application/json", "BXNIM0109E"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(root+"/identity/token", tt.ct, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			if resp.StatusCode != 400 || m["errorCode"] != tt.code {
				t.Errorf("%d %v, want 400 %s", resp.StatusCode, m, tt.code)
			}
		})
	}
}

// The advertised lifetime and expires_in can differ from the real one.
func TestTokenAdvertised(t *testing.T) {
	_, root, _ := start(t, emukit.Options{}, IAM{TokenLifetime: emukit.Duration(time.Second),
		AdvertisedLifetime: emukit.Duration(time.Minute), ExpiresIn: emukit.Duration(time.Hour)})
	_, m := fetch(t, root, key)
	if m["expires_in"] != 3600.0 || m["expiration"] != float64(emutest.Fixed().Unix()+60) {
		t.Errorf("token response %v", m)
	}
}

const plain = `{"model_id":"mistralai/mistral-medium-2505","project_id":"p","messages":[{"role":"user","content":"Hello there"}]}`

func chat(t *testing.T, root, path, token, body string) emutest.Result {
	t.Helper()
	return emutest.Do(t, http.DefaultClient, "POST", root+path, token, body)
}

// Chat accepts only live tokens IAM issued; others get watsonx's 401.
func TestTokenChecks(t *testing.T) {
	s, root, c := start(t, emukit.Options{}, IAM{TokenLifetime: emukit.Duration(time.Minute)})
	_, m := fetch(t, root, key)
	tok := m["access_token"].(string)
	if r := chat(t, root, "/ml/v1/text/chat?version=2026-08-11", tok, plain); r.Status != 200 {
		t.Fatalf("live token: %d %s", r.Status, r.Body)
	}
	for _, tt := range []struct {
		name, token, code string
		advance           time.Duration
	}{
		{"unknown", "made-up", codeTokenNotValid, 0},
		{"none", "", codeTokenNotValid, 0},
		{"expired", tok, codeTokenExpired, time.Minute}, // exactly at expiry it is dead
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.add(tt.advance)
			r := chat(t, root, "/ml/v1/text/chat?version=2026-08-11", tt.token, plain)
			var eb struct {
				Errors     []apiError `json:"errors"`
				StatusCode int        `json:"status_code"`
			}
			_ = json.Unmarshal(r.Body, &eb)
			if r.Status != 401 || eb.StatusCode != 401 || len(eb.Errors) != 1 || eb.Errors[0].Code != tt.code {
				t.Errorf("%d %s, want 401 %s", r.Status, r.Body, tt.code)
			}
		})
	}
	if st := s.IAMStats(); st.TokenRequests != 1 || st.Expired != 1 || st.Unknown != 2 || st.LastToken != 1 {
		t.Errorf("stats %+v", st)
	}
}

// liveToken fetches a token for a test's requests.
func liveToken(t *testing.T, root string) string {
	_, m := fetch(t, root, key)
	return m["access_token"].(string)
}

// Bad requests get watsonx's envelope with the right status and code.
func TestValidation(t *testing.T) {
	_, root, _ := start(t, emukit.Options{ContextTokens: 40}, IAM{})
	tok := liveToken(t, root)
	tool := `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`
	tests := []struct {
		name   string
		query  string
		body   string
		status int
		code   string
	}{
		// version is required.
		{"no version", "", plain, 400, codeInvalidInput},
		// A mode string in tool_choice: the known bug elsewhere.
		{"string tool_choice", "?version=1", `{"model_id":"mistralai/mistral-medium-2505","project_id":"p","messages":[{"role":"user","content":"x"}],` + tool + `,"tool_choice":"auto"}`, 400, codeJSONType},
		// Both tool fields at once.
		{"both tool fields", "?version=1", `{"model_id":"mistralai/mistral-medium-2505","project_id":"p","messages":[{"role":"user","content":"x"}],` + tool + `,"tool_choice_option":"auto","tool_choice":{"type":"function","function":{"name":"f"}}}`, 400, codeInvalidInput},
		// Neither project nor space, and both.
		{"no scope", "?version=1", `{"model_id":"mistralai/mistral-medium-2505","messages":[{"role":"user","content":"x"}]}`, 400, codeInvalidInput},
		{"both scopes", "?version=1", `{"model_id":"mistralai/mistral-medium-2505","project_id":"p","space_id":"s","messages":[{"role":"user","content":"x"}]}`, 400, codeInvalidInput},
		// OpenAI's fields are not watsonx's.
		{"unknown field", "?version=1", `{"model_id":"mistralai/mistral-medium-2505","project_id":"p","stream":true,"messages":[{"role":"user","content":"x"}]}`, 400, codeValidation},
		// A model not served here.
		{"model", "?version=1", `{"model_id":"ibm/granite","project_id":"p","messages":[{"role":"user","content":"x"}]}`, 404, codeModel},
		// An OpenAI-style tool id to a Mistral model.
		{"tool id", "?version=1", `{"model_id":"mistralai/mistral-medium-2505","project_id":"p","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"call_abc","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_abc","content":"r"}]}`, 400, codeInvalidInput},
		// A prompt over the (tiny) window.
		{"context", "?version=1", `{"model_id":"mistralai/mistral-medium-2505","project_id":"p","messages":[{"role":"user","content":"` + strings.Repeat("word ", 50) + `"}]}`, 400, codeInvalidInput},
		// Not JSON.
		{"json", "?version=1", `{nope`, 400, codeJSONType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := chat(t, root, "/ml/v1/text/chat"+tt.query, tok, tt.body)
			var eb struct {
				Errors []apiError `json:"errors"`
			}
			_ = json.Unmarshal(r.Body, &eb)
			if r.Status != tt.status || len(eb.Errors) != 1 || eb.Errors[0].Code != tt.code {
				t.Errorf("%d %s, want %d %s", r.Status, r.Body, tt.status, tt.code)
			}
		})
	}
}

// Stream transcripts (framing, faults) are golden.
func TestStreamGolden(t *testing.T) {
	weather := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`
	tests := []struct {
		name   string
		faults emukit.Faults
		body   string
	}{
		// Role chunk, one chunk per word, finish, usage with empty choices, close.
		{"text", emukit.Faults{}, plain},
		// A named tool: id and name first, arguments in two fragments.
		{"tool", emukit.Faults{}, `{"model_id":"mistralai/mistral-medium-2505","space_id":"s","messages":[{"role":"user","content":"Weather in Rome?"}],` + weather + `,"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`},
		// event: error after two chunks, then close; no usage chunk.
		{"in_band_error", emukit.Faults{InBandErrorAfter: emukit.After(2)}, plain},
		// no_done: the stream stops after the finish chunk: no usage, no close.
		{"no_done", emukit.Faults{NoDone: true}, plain},
		// One half-written event, then the stream goes on.
		{"malformed", emukit.Faults{MalformedAfter: emukit.After(1)}, plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, root, _ := start(t, emukit.Options{Faults: tt.faults}, IAM{})
			r := chat(t, root, "/ml/v1/text/chat_stream?version=2026-08-11", liveToken(t, root), tt.body)
			if r.Status != 200 || r.Err != nil {
				t.Fatalf("%d %v %s", r.Status, r.Err, r.Body)
			}
			emutest.Golden(t, filepath.Join("testdata", "stream_"+tt.name+".sse"), r.Body, *update)
			_ = s
		})
	}
}

// A non-stream answer is golden too.
func TestChatGolden(t *testing.T) {
	_, root, _ := start(t, emukit.Options{}, IAM{})
	r := chat(t, root, "/ml/v1/text/chat?version=2026-08-11", liveToken(t, root), plain)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	emutest.Golden(t, filepath.Join("testdata", "chat.json"), emutest.Indent(r.Body), *update)
}

// time_limit that passes mid-answer ends it with finish "time_limit".
func TestTimeLimit(t *testing.T) {
	_, root, _ := start(t, emukit.Options{Faults: emukit.Faults{ChunkDelay: emukit.Duration(40 * time.Millisecond)}}, IAM{})
	body := `{"model_id":"mistralai/mistral-medium-2505","project_id":"p","time_limit":60,"messages":[{"role":"user","content":"one two three four five six"}]}`
	r := chat(t, root, "/ml/v1/text/chat_stream?version=2026-08-11", liveToken(t, root), body)
	if !strings.Contains(string(r.Body), `"finish_reason":"time_limit"`) || !strings.Contains(string(r.Body), `"choices":[],"usage"`) {
		t.Errorf("transcript without a time_limit finish and usage:\n%s", r.Body)
	}
}

// Each fault error kind renders watsonx's envelope with its status.
func TestFaultKinds(t *testing.T) {
	tests := []struct {
		f      emukit.Faults
		status int
		code   string
	}{
		{emukit.Faults{ErrorKind: emukit.KindModelRetired}, 404, codeModel},
		{emukit.Faults{ErrorKind: emukit.KindInvalidModel}, 404, codeModel},
		{emukit.Faults{ErrorKind: emukit.KindContextLength}, 400, codeInvalidInput},
		{emukit.Faults{ErrorKind: emukit.KindRateLimit, RetryAfter: 4}, 429, codeRateLimit},
		{emukit.Faults{ErrorKind: emukit.KindCapacity}, 503, codeUnavailable},
		{emukit.Faults{ErrorKind: emukit.KindCredits}, 403, codeQuota},
		{emukit.Faults{ErrorKind: emukit.KindAuth}, 401, codeTokenNotValid},
		{emukit.Faults{Status: 403}, 403, codeRejected},
		{emukit.Faults{Status: 520}, 520, codeServer},
		{emukit.Faults{Status: 400}, 400, codeInvalidInput},
	}
	for _, tt := range tests {
		name := tt.f.ErrorKind
		if name == "" {
			name = http.StatusText(tt.status)
		}
		t.Run(name, func(t *testing.T) {
			_, root, _ := start(t, emukit.Options{Faults: tt.f}, IAM{})
			r := chat(t, root, "/ml/v1/text/chat?version=2026-08-11", liveToken(t, root), plain)
			var eb struct {
				Errors     []apiError `json:"errors"`
				StatusCode int        `json:"status_code"`
			}
			_ = json.Unmarshal(r.Body, &eb)
			if r.Status != tt.status || eb.StatusCode != tt.status || len(eb.Errors) != 1 || eb.Errors[0].Code != tt.code {
				t.Errorf("%d %s, want %d %s", r.Status, r.Body, tt.status, tt.code)
			}
			if tt.f.RetryAfter > 0 && r.Header.Get("Retry-After") != "4" {
				t.Errorf("Retry-After = %q", r.Header.Get("Retry-After"))
			}
		})
	}
}

// IAM settings change at run time through POST /_emulator/iam.
func TestIAMControl(t *testing.T) {
	s, root, _ := start(t, emukit.Options{}, IAM{})
	resp, err := http.Post(root+"/_emulator/iam", "application/json", strings.NewReader(`{"token_lifetime":"30s"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, m := fetch(t, root, key); m["expires_in"] != 30.0 {
		t.Errorf("after POST /_emulator/iam: %v", m)
	}
	resp, _ = http.Post(root+"/_emulator/iam", "application/json", strings.NewReader(`{"lifetime":"30s"}`))
	if resp.StatusCode != 400 {
		t.Errorf("unknown field accepted: %d", resp.StatusCode)
	}
	resp.Body.Close()
	if st := s.IAMStats(); st.TokenRequests != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestN: n asks for that many choices (watsonx's body takes n), each
// deterministic for its index, whole and streamed, with the prompt billed
// once.
func TestN(t *testing.T) {
	_, root, _ := start(t, emukit.Options{}, IAM{})
	body := `{"model_id":"mistralai/mistral-medium-2505","project_id":"p","n":2,"messages":[{"role":"user","content":"Hi"}]}`
	r := chat(t, root, "/ml/v1/text/chat?version=2026-08-11", liveToken(t, root), body)
	var whole struct {
		Choices []struct {
			Index   int `json:"index"`
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(r.Body, &whole); err != nil || len(whole.Choices) != 2 || whole.Choices[1].Index != 1 ||
		whole.Choices[0].Message.Content == whole.Choices[1].Message.Content {
		t.Fatalf("want two different choices indexed 0 and 1: %s", r.Body)
	}
	st := chat(t, root, "/ml/v1/text/chat_stream?version=2026-08-11", liveToken(t, root), body)
	for _, want := range []string{`"choices":[{"index":1,"finish_reason":"stop"`, `"choices":[{"index":0,"finish_reason":"stop"`} {
		if !strings.Contains(string(st.Body), want) {
			t.Errorf("stream lacks %s:\n%s", want, st.Body)
		}
	}
}
