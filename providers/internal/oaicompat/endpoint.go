package oaicompat

import (
	"context"
	"net/http"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
)

// Classifier turns a provider's non-2xx answer into a classified error.
// secret is the deployment's key, which the classifier must redact from any
// message it quotes.
type Classifier func(status int, h http.Header, body []byte, now time.Time, secret string) error

// Endpoint is one deployment's chat URL with its credentials: the POST
// plumbing every OpenAI-dialect adapter shares.
type Endpoint struct {
	url      string
	key      string
	header   http.Header // built once: Authorization and any fixed headers
	client   *http.Client
	kind     string
	classify Classifier
	now      func() time.Time
}

// NewEndpoint returns the endpoint for url. key, when set, is sent as a
// Bearer token; extra headers (may be nil) go on every request. A nil
// deps client gets DefaultHTTPClient.
func NewEndpoint(url string, key config.Secret, extra http.Header, client *http.Client, kind string, classify Classifier) *Endpoint {
	h := extra.Clone()
	if h == nil {
		h = http.Header{}
	}
	if k := key.Value(); k != "" {
		h.Set("Authorization", "Bearer "+k)
	}
	if client == nil {
		client = DefaultHTTPClient()
	}
	return &Endpoint{url: url, key: key.Value(), header: h, client: client, kind: kind, classify: classify, now: time.Now}
}

// Post sends body and returns a 2xx response; any other status comes back
// as the classifier's error, a transport failure as TransportError's.
func (e *Endpoint) Post(ctx context.Context, body []byte, stream bool) (*http.Response, error) {
	// Post only reads the shared header map's slices; the request gets its
	// own map.
	resp, err := Post(ctx, e.client, Request{URL: e.url, Body: body, Header: e.header, Stream: stream}, e.kind)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		data := ReadErrorBody(resp)
		return nil, e.classify(resp.StatusCode, resp.Header, data, e.now(), e.key)
	}
	return resp, nil
}

// Read reads a non-streamed 2xx body under MaxResponseBytes.
func (e *Endpoint) Read(ctx context.Context, resp *http.Response) ([]byte, error) {
	return ReadBody(ctx, resp, MaxResponseBytes, e.kind)
}
