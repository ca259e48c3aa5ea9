package oaicompat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/upstream"
)

// MaxResponseBytes caps a non-streamed response body. A chat completion is
// kilobytes; the cap keeps a broken upstream from exhausting memory.
const MaxResponseBytes = 32 << 20

// MaxErrorBytes caps how much of an error body is read for classification.
const MaxErrorBytes = 64 << 10

// DefaultHTTPClient is the client adapters use when Deps.HTTPClient is nil
// (unit tests, tools): upstream's client with the default settings. The
// gateway always hands every adapter its one shared client.
func DefaultHTTPClient() *http.Client { return upstream.Default() }

// Request is one POST to a provider.
type Request struct {
	URL    string
	Body   []byte
	Header http.Header // sent as is; Content-Type is set by Post
	Stream bool        // adds Accept: text/event-stream
}

// Post sends r with client. A transport failure comes back classified
// (TransportError); an HTTP error status is NOT an error here, the adapter
// classifies the body itself.
func Post(ctx context.Context, client *http.Client, r Request, provider string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, nil)
	if err != nil {
		return nil, gwerr.Wrap(gwerr.Internal, err, "building the %s request", provider)
	}
	src := setBody(req, r.Body)
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if r.Stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := roundTrip(client, req)
	// No retry can read the body again now (setBody): a streamed
	// response keeps req reachable for as long as it lasts, the prompt's
	// bytes need not be.
	src.release()
	if err != nil {
		return nil, TransportError(ctx, err, provider)
	}
	return resp, nil
}

// roundTrip sends req on client's transport, as client.Do would, except
// that it follows no redirect: a provider's API never redirects a POST,
// and following one would re-send the prompt and the request's
// credentials to wherever it points (net/http's client strips only some
// headers, and only for another host). A 3xx then fails the attempt as the
// provider's error. It also spares each request the copy of its
// headers Do keeps for redirects. A client with a cookie jar or its own
// timeout goes through Do, which implements those.
func roundTrip(client *http.Client, req *http.Request) (*http.Response, error) {
	if client.Jar != nil || client.Timeout != 0 {
		return client.Do(req)
	}
	rt := client.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	return rt.RoundTrip(req)
}

// TransportError classifies a network-level failure: the caller's
// cancellation is Canceled, a passed deadline or a network timeout is
// Timeout, anything else Upstream. The message never includes the URL's
// query or headers, only the provider's name.
func TransportError(ctx context.Context, err error, provider string) *gwerr.Error {
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		return gwerr.Wrap(gwerr.Canceled, err, "the request to %s was canceled", provider)
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return gwerr.Wrap(gwerr.Timeout, err, "timed out waiting for %s", provider)
	case errors.As(err, &ne) && ne.Timeout():
		return gwerr.Wrap(gwerr.Timeout, err, "timed out waiting for %s", provider)
	}
	return gwerr.Wrap(gwerr.Upstream, err, "could not reach %s", provider)
}

// ReadBody reads a non-streamed body up to limit bytes and closes it.
func ReadBody(ctx context.Context, resp *http.Response, limit int64, provider string) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, TransportError(ctx, err, provider)
	}
	if int64(len(b)) > limit {
		return nil, gwerr.New(gwerr.Upstream, "%s response exceeds %d bytes", provider, limit)
	}
	return b, nil
}

// ReadErrorBody reads at most MaxErrorBytes of an error response and
// closes it; a read failure just shortens the body (the status still
// classifies the error).
func ReadErrorBody(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBytes))
	return b
}

// JoinURL appends path to base without doubling the slash.
func JoinURL(base, path string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + path
}

// ValidateBaseURL checks that u is an absolute http(s) URL.
func ValidateBaseURL(u string) error {
	parsed, err := url.Parse(u)
	if err != nil {
		return errors.New("base_url: not a valid URL")
	}
	if s := parsed.Scheme; (s != "http" && s != "https") || parsed.Host == "" {
		return fmt.Errorf("base_url %q: must be an absolute http or https URL", parsed.Redacted())
	}
	return nil
}
