package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	configfiles "github.com/windrose-gw/windrose/config"
	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/e2e/fastupstream"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/internal/upstream"
	"github.com/windrose-gw/windrose/providers/all"
)

// The overhead rig: one fastupstream, and in front of it both a bare
// httputil.ReverseProxy (the baseline) and windrose, each on its own
// loopback httptest server with the same upstream transport settings.

// overheadConfig points one Mistral deployment at the fast upstream at
// upstreamURL, serving on listen (unused in process). The access log stays
// at info, as in production; max_in_flight is lifted so the load test's
// thousands of concurrent streams are served, not shed.
func overheadConfig(listen, upstreamURL string) string {
	return `
server:
  listen: ` + listen + `
  log_level: info
  max_in_flight: 100000 # the load test holds thousands of streams
models:
  - name: mistral-medium
    deployments:
      - name: fast
        provider: mistral
        model: mistral-medium-2508
        base_url: ` + upstreamURL + `
        api_key: overhead-key
`
}

// Client request bodies: a short conversation, as a chat client sends it.
var (
	overheadBody       = []byte(`{"model":"mistral-medium","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello in one short sentence."}],"temperature":0.2,"max_tokens":64}`)
	overheadStreamBody = []byte(`{"model":"mistral-medium","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello in one short sentence."}],"temperature":0.2,"max_tokens":64,"stream":true}`)
)

// rig is a running upstream with both front ends.
type rig struct {
	upstream *httptest.Server
	proxy    *httptest.Server
	windrose *httptest.Server
	gw       *gateway.Gateway
	client   *http.Client // keep-alive, shared by every load goroutine
}

// newRig starts the upstream and both front ends; all stop with tb.
func newRig(tb testing.TB, uo fastupstream.Options) *rig {
	tb.Helper()
	r := &rig{}
	r.upstream = httptest.NewServer(fastupstream.New(uo))
	tb.Cleanup(r.upstream.Close)

	target, err := url.Parse(r.upstream.URL)
	if err != nil {
		tb.Fatal(err)
	}
	proxyTransport := upstream.Default().Transport.(*http.Transport)
	tb.Cleanup(proxyTransport.CloseIdleConnections)
	r.proxy = httptest.NewServer(bareProxy(target, proxyTransport))
	tb.Cleanup(r.proxy.Close)

	r.gw = buildOverheadGateway(tb, r.upstream.URL)
	r.windrose = httptest.NewServer(r.gw.Server)
	tb.Cleanup(r.windrose.Close)

	r.client = newLoadClient()
	tb.Cleanup(r.client.CloseIdleConnections)
	return r
}

// buildOverheadGateway builds windrose as cmd/windrose does, except that
// the access log is encoded and then discarded instead of written to stderr.
func buildOverheadGateway(tb testing.TB, upstreamURL string) *gateway.Gateway {
	tb.Helper()
	cfg, err := config.Parse([]byte(overheadConfig("127.0.0.1:0", upstreamURL)), func(string) string { return "" })
	if err != nil {
		tb.Fatalf("overhead config: %v", err)
	}
	prices, err := config.LoadPrices(configfiles.Prices)
	if err != nil {
		tb.Fatal(err)
	}
	up := upstream.Default()
	tb.Cleanup(up.CloseIdleConnections)
	enc := zap.NewProductionEncoderConfig()
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(io.Discard), zap.InfoLevel))
	gw, err := gateway.New(cfg, gateway.Options{
		Providers: all.Registry(), Prices: prices, Logger: log,
		Registry: prometheus.NewRegistry(), HTTPClient: up,
	})
	if err != nil {
		tb.Fatalf("gateway.New: %v", err)
	}
	return gw
}

// newLoadClient is the load generator's client: enough idle connections
// that no request waits for one, and no compression to undo.
func newLoadClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 1024
	t.DisableCompression = true
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// do sends one chat request to base and drains the answer. It returns the
// number of body bytes read.
func do(c *http.Client, base string, body []byte) (int64, error) {
	resp, err := post(c, base, body)
	if err != nil {
		return 0, err
	}
	n, err := fastupstream.Discard(resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("status %d", resp.StatusCode)
	}
	return n, nil
}

// post sends one chat request to base; the caller reads and closes the
// body.
func post(c *http.Client, base string, body []byte) (*http.Response, error) {
	return postCtx(context.Background(), c, base, body)
}

func postCtx(ctx context.Context, c *http.Client, base string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header["Content-Type"] = []string{"application/json"}
	return c.Do(req)
}

// bodyFor returns the request body for a stream or non-stream request.
func bodyFor(stream bool) []byte {
	if stream {
		return overheadStreamBody
	}
	return overheadBody
}
