package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	testKeyID  = "AKIATESTKEY000000001"
	testSecret = "test-secret"
	testKey    = testKeyID + ":" + testSecret
	testModel  = "mistral.mistral-large-3-675b-instruct"
)

var fixedNow = time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)

func newTestServer(t *testing.T, o emukit.Options) *httptest.Server {
	t.Helper()
	if o.APIKey == "" {
		o.APIKey = testKey
	}
	if o.Now == nil {
		o.Now = func() time.Time { return fixedNow }
	}
	srv := httptest.NewServer(New(o))
	t.Cleanup(srv.Close)
	return srv
}

// signing says how a test request is signed (AWS's own SDK signer, used
// only as a signer: the emulator's check is the standard library's).
type signing struct {
	keyID, secret, service, region string
	at                             time.Time
	bearer                         string // send this API key instead
	none                           bool   // no Authorization at all
	tamper                         bool   // change the body after signing
}

func defaultSigning() signing {
	return signing{keyID: testKeyID, secret: testSecret, service: "bedrock", region: DefaultRegion, at: fixedNow}
}

// call POSTs body to path on srv, signed as sg says.
func call(t *testing.T, srv *httptest.Server, path, body string, sg signing) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case sg.bearer != "":
		req.Header.Set("Authorization", "Bearer "+sg.bearer)
	case !sg.none:
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: sg.keyID, SecretAccessKey: sg.secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), sg.service, sg.region, sg.at); err != nil {
			t.Fatal(err)
		}
	}
	if sg.tamper {
		req.Body = io.NopCloser(strings.NewReader(body + " "))
		req.ContentLength++
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// modelPath is the Converse path for a model id, escaped as the SDK does.
func modelPath(model, op string) string { return "/model/" + url.PathEscape(model) + "/" + op }

const hello = `{"messages":[{"role":"user","content":[{"text":"Hello there"}]}]}`

// errorOf reads an error answer: its exception name and message.
func errorOf(t *testing.T, resp *http.Response) (int, string, string) {
	t.Helper()
	var body struct {
		Message string `json:"message"`
	}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &body)
	typ, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	return resp.StatusCode, typ, body.Message
}

// TestSigV4 proves the emulator checks what AWS checks: the key, the
// secret, the scope's service and region, the body hash and the clock.
func TestSigV4(t *testing.T) {
	srv := newTestServer(t, emukit.Options{})
	mod := func(f func(*signing)) signing { s := defaultSigning(); f(&s); return s }
	tests := []struct {
		name    string
		sg      signing
		model   string
		status  int
		typ     string
		message string // a substring
	}{
		// A correct signature is served.
		{name: "valid", sg: defaultSigning(), status: 200},
		// A profile id with ':' is escaped in the path and escaped again in
		// the canonical request: both readings must agree.
		{name: "escaped model id", sg: defaultSigning(), model: "eu.mistral.pixtral-large-2502-v1:0", status: 200},
		// An ARN with '/' and ':' in the path segment.
		{name: "arn model id", sg: defaultSigning(), model: "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.mistral.pixtral-large-2502-v1:0", status: 200},
		// The Bedrock API key as a bearer token.
		{name: "api key", sg: signing{bearer: testKey}, status: 200},
		{name: "wrong api key", sg: signing{bearer: "nope"}, status: 403, typ: "UnrecognizedClientException", message: "security token"},
		{name: "no credentials", sg: signing{none: true}, status: 403, typ: "MissingAuthenticationTokenException", message: "Missing Authentication Token"},
		{name: "wrong secret", sg: mod(func(s *signing) { s.secret = "wrong" }), status: 403, typ: "InvalidSignatureException", message: "signature we calculated does not match"},
		{name: "unknown key id", sg: mod(func(s *signing) { s.keyID = "AKIAOTHER" }), status: 403, typ: "UnrecognizedClientException", message: "security token"},
		{name: "wrong service", sg: mod(func(s *signing) { s.service = "bedrock-runtime" }), status: 403, typ: "InvalidSignatureException", message: "correct service: 'bedrock'"},
		{name: "wrong region", sg: mod(func(s *signing) { s.region = "us-east-1" }), status: 403, typ: "InvalidSignatureException", message: "valid region"},
		{name: "body changed after signing", sg: mod(func(s *signing) { s.tamper = true }), status: 403, typ: "InvalidSignatureException", message: "does not match"},
		{name: "stale date", sg: mod(func(s *signing) { s.at = fixedNow.Add(-6 * time.Minute) }), status: 403, typ: "InvalidSignatureException", message: "Signature expired"},
		{name: "future date", sg: mod(func(s *signing) { s.at = fixedNow.Add(6 * time.Minute) }), status: 403, typ: "InvalidSignatureException", message: "not yet current"},
		// Four minutes of skew is within AWS's tolerance.
		{name: "small skew", sg: mod(func(s *signing) { s.at = fixedNow.Add(-4 * time.Minute) }), status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := tt.model
			if model == "" {
				model = testModel
			}
			resp := call(t, srv, modelPath(model, "converse"), hello, tt.sg)
			if tt.status == 200 {
				if resp.StatusCode != 200 {
					_, typ, msg := errorOf(t, resp)
					t.Fatalf("status %d %s: %s", resp.StatusCode, typ, msg)
				}
				return
			}
			status, typ, msg := errorOf(t, resp)
			if status != tt.status || typ != tt.typ || !strings.Contains(msg, tt.message) {
				t.Errorf("got %d %s %q, want %d %s containing %q", status, typ, msg, tt.status, tt.typ, tt.message)
			}
		})
	}
}

// TestValidation: bodies Bedrock rejects with a ValidationException.
func TestValidation(t *testing.T) {
	srv := newTestServer(t, emukit.Options{ContextTokens: 60})
	tools := `,"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}`
	use := `{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]}`
	tests := []struct {
		name, model, body, message string
	}{
		// Not JSON at all.
		{"not json", "", `{"messages":`, "Malformed input request"},
		// Unknown members are rejected, not ignored.
		{"unknown field", "", `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"temperature":0.5}`, "extraneous key"},
		{"unknown block member", "", `{"messages":[{"role":"user","content":[{"txt":"hi"}]}]}`, "extraneous key"},
		// The conversation rules.
		{"starts with assistant", "", `{"messages":[{"role":"assistant","content":[{"text":"hi"}]}]}`, "must start with a user message"},
		{"no alternation", "", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]}`, "must alternate"},
		{"bad role", "", `{"messages":[{"role":"system","content":[{"text":"a"}]}]}`, "enum value set: [user, assistant]"},
		{"empty content", "", `{"messages":[{"role":"user","content":[]}]}`, "is empty"},
		{"blank text", "", `{"messages":[{"role":"user","content":[{"text":"  "}]}]}`, "is blank"},
		{"two members", "", `{"messages":[{"role":"user","content":[{"text":"a","image":{"format":"png","source":{"bytes":"AA=="}}}]}]}`, "exactly one member"},
		// Tool blocks need a toolConfig and must pair up.
		{"tool use without config", "", `{"messages":[{"role":"user","content":[{"text":"a"}]},` + use + `]}`, "toolConfig field must be defined"},
		{"result for an unknown id", "", `{"messages":[{"role":"user","content":[{"text":"a"}]},` + use +
			`,{"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_2","content":[{"text":"18C"}]}}]}]` + tools + `}`, `"tooluse_2"`},
		{"bad tool use id", "", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"call.1","name":"get_weather","input":{}}}]}]` + tools + `}`, "regular expression pattern"},
		{"unknown named tool", "", `{"messages":[{"role":"user","content":[{"text":"a"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{}}}}],"toolChoice":{"tool":{"name":"g"}}}}`, "not in toolConfig.tools"},
		{"max tokens 0", "", `{"messages":[{"role":"user","content":[{"text":"a"}]}],"inferenceConfig":{"maxTokens":0}}`, "maxTokens"},
		// The model and the context window.
		{"unknown model", "mistral.mistral-medium-2508", hello, "model identifier is invalid"},
		{"too long", "", `{"messages":[{"role":"user","content":[{"text":"` + strings.Repeat("word ", 80) + `"}]}]}`, "Input is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := tt.model
			if model == "" {
				model = testModel
			}
			status, typ, msg := errorOf(t, call(t, srv, modelPath(model, "converse"), tt.body, defaultSigning()))
			if status != 400 || typ != "ValidationException" || !strings.Contains(msg, tt.message) {
				t.Errorf("got %d %s %q, want 400 ValidationException containing %q", status, typ, msg, tt.message)
			}
		})
	}
}

// A valid tool round trip is served: toolResult answers the toolUse of the
// previous assistant turn.
func TestToolRoundTrip(t *testing.T) {
	srv := newTestServer(t, emukit.Options{})
	body := `{"messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]},` +
		`{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]},` +
		`{"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_1","content":[{"json":{"c":21}}],"status":"success"}}]}],` +
		`"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}}`
	resp := call(t, srv, modelPath(testModel, "converse"), body, defaultSigning())
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`The tool returned: {\"c\":21}`)) || !bytes.Contains(b, []byte(`"stopReason":"end_turn"`)) {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}
