package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/internal/telemetry"
	"github.com/windrose-gw/windrose/providers/all"
)

// receiver is an in-process OTLP/HTTP collector: it decodes every export.
type receiver struct {
	mu      sync.Mutex
	spans   []*tracepb.Span
	headers []http.Header
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.headers = append(rc.headers, r.Header.Clone())
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			rc.spans = append(rc.spans, ss.Spans...)
		}
	}
	rc.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func attrs(s *tracepb.Span) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes {
		out[kv.Key] = anyString(kv.Value)
	}
	return out
}

func anyString(v *commonpb.AnyValue) string {
	switch x := v.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_ArrayValue:
		var parts []string
		for _, e := range x.ArrayValue.Values {
			parts = append(parts, anyString(e))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// TestTracesReachCollector sends a streamed and a plain request with a W3C
// traceparent, the first deployment failing, through a gateway exporting to
// an in-process OTLP/HTTP receiver: each request has a server span in the
// caller's trace with one client span per attempt, carrying the GenAI
// attributes and windrose's routing, and nothing of the prompt or the key.
func TestTracesReachCollector(t *testing.T) {
	rc := &receiver{}
	col := httptest.NewServer(rc)
	defer col.Close()
	urls := upstreams(t, "good")
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
telemetry:
  tracing: {endpoint: %q, headers: {authorization: Bearer collector-token}}
keys:
  - {name: team-a, key: sk-secret-client-key}
models:
  - name: m
    deployments:
      - {name: broken, provider: mistral, model: mistral-medium-2508, base_url: "http://127.0.0.1:1", api_key: emulator-key, priority: 0}
      - {name: good, provider: mistral, model: mistral-medium-2508, region: eu-west, base_url: %q, api_key: emulator-key, priority: 1}
`, col.URL, urls["good"])), nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := telemetry.NewTracing(cfg.Telemetry.Tracing, "test")
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(cfg, gateway.Options{Providers: all.Registry(), Tracer: tr.Tracer})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	srv := httptest.NewServer(gw.Server)
	defer srv.Close()
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const prompt = "the secret prompt text"
	for _, stream := range []bool{false, true} {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", strings.NewReader(
			fmt.Sprintf(`{"model":"m","stream":%v,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":%q}]}`, stream, prompt)))
		req.Header.Set("Authorization", "Bearer sk-secret-client-key")
		req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("stream %v: status %d", stream, resp.StatusCode)
		}
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.headers) == 0 || rc.headers[0].Get("Authorization") != "Bearer collector-token" {
		t.Fatalf("exports %d, headers %v: want the configured authorization header", len(rc.headers), rc.headers)
	}
	var servers, attempts []*tracepb.Span
	for _, s := range rc.spans {
		if fmt.Sprintf("%x", s.TraceId) != traceID {
			t.Errorf("span %q in trace %x, want the caller's %s", s.Name, s.TraceId, traceID)
		}
		for _, kv := range s.Attributes {
			if v := anyString(kv.Value); strings.Contains(v, prompt) || strings.Contains(v, "sk-secret") || strings.Contains(v, "emulator-key") {
				t.Errorf("span %q attribute %s leaks %q", s.Name, kv.Key, v)
			}
		}
		switch s.Kind {
		case tracepb.Span_SPAN_KIND_SERVER:
			servers = append(servers, s)
		case tracepb.Span_SPAN_KIND_CLIENT:
			attempts = append(attempts, s)
		}
	}
	if len(servers) != 2 || len(attempts) != 4 {
		t.Fatalf("%d server spans and %d attempt spans, want 2 and 4 (a failed and a good attempt per request)", len(servers), len(attempts))
	}
	for _, s := range servers {
		a := attrs(s)
		want := map[string]string{"gen_ai.request.model": "m", "gen_ai.response.model": "mistral-medium-2508",
			"windrose.deployment": "good", "windrose.key": "team-a", "windrose.attempts": "2"}
		for k, v := range want {
			if a[k] != v {
				t.Errorf("server span %q: %s = %q, want %q (all: %v)", s.Name, k, a[k], v, a)
			}
		}
		if a["gen_ai.usage.input_tokens"] == "" || a["gen_ai.usage.output_tokens"] == "" {
			t.Errorf("server span %q: no usage: %v", s.Name, a)
		}
		if len(s.Events) != 1 || s.Events[0].Name != "windrose.failover" {
			t.Errorf("server span %q: events %v, want one windrose.failover", s.Name, s.Events)
		}
	}
	results := map[string]int{}
	for _, s := range attempts {
		a := attrs(s)
		results[a["windrose.deployment"]+" "+a["windrose.attempt.result"]]++
		if a["gen_ai.system"] != "mistral_ai" || a["gen_ai.request.model"] != "mistral-medium-2508" {
			t.Errorf("attempt span: %v", a)
		}
		if a["windrose.deployment"] == "good" {
			for _, k := range []string{"gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons", "windrose.region"} {
				if a[k] == "" {
					t.Errorf("good attempt span lacks %s: %v", k, a)
				}
			}
		} else if a["error.type"] == "" {
			t.Errorf("failed attempt span has no error.type: %v", a)
		}
	}
	if results["good success"] != 2 || results["broken failed"] != 2 {
		t.Errorf("attempt results %v, want 2 good success and 2 broken failed", results)
	}
}
