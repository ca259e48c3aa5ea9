package oaicompat

import (
	"errors"
	"io"
	"net/http"
	"sync"
)

// errBodyReleased is what a request's GetBody returns once Post has
// returned: no retry can ask for the body any more.
var errBodyReleased = errors.New("oaicompat: the request body was released once the response arrived")

// sentBody is an outbound request body that lets go of its bytes as soon
// as they are sent. The *http.Request stays reachable for as long as its
// response is (resp.Request, and the transport's read loop holds it until
// the response body ends), so a bytes.Reader there would keep the whole
// encoded prompt alive for the life of a stream: a bare proxy keeps none.
type sentBody struct {
	// mu orders Read with Close: the HTTP/2 transport may close a body
	// from another goroutine while its writer still reads it.
	mu   sync.Mutex
	left []byte // not yet read; nil (not an empty reslice, which still points into the array) once read or closed
}

func (b *sentBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.left) == 0 {
		b.left = nil
		return 0, io.EOF
	}
	n := copy(p, b.left)
	b.left = b.left[n:]
	if len(b.left) == 0 {
		b.left = nil
	}
	return n, nil
}

func (b *sentBody) Close() error {
	b.mu.Lock()
	b.left = nil
	b.mu.Unlock()
	return nil
}

// bodySource hands the transport fresh readers of a request body for as
// long as it may need one: until release.
type bodySource struct {
	mu sync.Mutex
	b  []byte
}

// get is the request's GetBody.
func (s *bodySource) get() (io.ReadCloser, error) {
	s.mu.Lock()
	b := s.b
	s.mu.Unlock()
	if b == nil {
		return nil, errBodyReleased
	}
	return &sentBody{left: b}, nil
}

// release ends get's readers; a nil source (an empty body) has none.
func (s *bodySource) release() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.b = nil
	s.mu.Unlock()
}

// setBody gives req body as http.NewRequest would for a bytes.Reader
// (Content-Length, GetBody, http.NoBody when empty), but with a body that
// drops its bytes once sent and a GetBody that works until the returned
// source's release is called.
//
// GetBody is how the transports re-send a body: HTTP/1 when a reused
// connection turns out dead before anything was written, HTTP/2 on GOAWAY
// or REFUSED_STREAM. Both happen inside RoundTrip, before it returns a
// response; none can happen after (net/http's client also replays a body
// for a 307/308 redirect, inside Do). So the caller releases once the
// round trip returned, and from then on nothing holds the bytes but the
// caller.
func setBody(req *http.Request, body []byte) *bodySource {
	if len(body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return nil
	}
	src := &bodySource{b: body}
	req.Body = &sentBody{left: body}
	req.ContentLength = int64(len(body))
	req.GetBody = src.get
	return src
}
