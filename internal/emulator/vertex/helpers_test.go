package vertex

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"io"
	"net"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"cloud.google.com/go/aiplatform/apiv1/aiplatformpb"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/emukit/emutest"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	token        = "test-token"
	testResource = "projects/p1/locations/europe-west4/publishers/mistralai/models/mistral-medium-3"
)

// env is one running emulator with a raw gRPC client that trusts its
// certificate (no adapter: the emulator's tests read Google's stubs only).
type env struct {
	srv    *Server
	ctl    string // control root URL
	client aiplatformpb.PredictionServiceClient
}

func start(t *testing.T, opts emukit.Options) *env {
	t.Helper()
	opts.APIKey = token
	if opts.Now == nil {
		opts.Now = emutest.Fixed
	}
	srv := New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeAPI(ln) }()
	t.Cleanup(srv.Close)
	ctl := httptest.NewServer(srv)
	t.Cleanup(ctl.Close)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CAPEM()) {
		t.Fatal("CAPEM holds no certificate")
	}
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &env{srv: srv, ctl: ctl.URL, client: aiplatformpb.NewPredictionServiceClient(conn)}
}

// call is one request's metadata and resource.
type call struct {
	token    string // "" sends no authorization
	endpoint string
	params   string // x-goog-request-params; "-" sends none, "" the right one
	body     string
}

func (c call) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	var kv []string
	if c.token != "" {
		kv = append(kv, "authorization", "Bearer "+c.token)
	}
	switch c.params {
	case "":
		kv = append(kv, "x-goog-request-params", "endpoint="+url.QueryEscape(c.endpoint))
	case "-":
	default:
		kv = append(kv, "x-goog-request-params", c.params)
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

func ok(body string) call { return call{token: token, endpoint: testResource, body: body} }

func (e *env) raw(t *testing.T, c call) (*httpbody.HttpBody, error) {
	return e.client.RawPredict(c.ctx(t), &aiplatformpb.RawPredictRequest{Endpoint: c.endpoint,
		HttpBody: &httpbody.HttpBody{ContentType: "application/json", Data: []byte(c.body)}})
}

// stream reads a whole StreamRawPredict answer: its messages and how it
// ended (nil for status OK).
func (e *env) stream(t *testing.T, c call) ([][]byte, error) {
	st, err := e.client.StreamRawPredict(c.ctx(t), &aiplatformpb.StreamRawPredictRequest{Endpoint: c.endpoint,
		HttpBody: &httpbody.HttpBody{ContentType: "application/json", Data: []byte(c.body)}})
	if err != nil {
		return nil, err
	}
	var msgs [][]byte
	for {
		m, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return msgs, nil
		}
		if err != nil {
			return msgs, err
		}
		if m.GetContentType() != "text/event-stream" {
			t.Errorf("message content type %q", m.GetContentType())
		}
		msgs = append(msgs, m.GetData())
	}
}

const hello = `{"model":"mistral-medium-3","messages":[{"role":"user","content":"Hello there, emulator"}]}`
const helloStream = `{"model":"mistral-medium-3","stream":true,"messages":[{"role":"user","content":"Tell me a long story about the wind"}]}`
