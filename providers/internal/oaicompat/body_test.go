package oaicompat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestPostSendsBody: the body reaches the provider byte for byte with its
// Content-Length (not chunked: some providers refuse chunked requests),
// and an empty body goes out as no body at all, as net/http sends an empty
// bytes.Reader.
func TestPostSendsBody(t *testing.T) {
	type got struct {
		body []byte
		cl   int64
		te   []string
	}
	seen := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		seen <- got{b, r.ContentLength, r.TransferEncoding}
	}))
	defer srv.Close()
	for _, body := range [][]byte{
		[]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`),
		bytes.Repeat([]byte("x"), 100_000), // more than one write of the transport's buffer
		nil,
	} {
		t.Run(strconv.Itoa(len(body)), func(t *testing.T) {
			resp, err := Post(context.Background(), &http.Client{}, Request{URL: srv.URL, Body: body}, "test")
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			g := <-seen
			if !bytes.Equal(g.body, body) {
				t.Errorf("the provider got %d bytes, want the %d sent", len(g.body), len(body))
			}
			if g.cl != int64(len(body)) || len(g.te) != 0 {
				t.Errorf("Content-Length %d, Transfer-Encoding %q; want %d and none", g.cl, g.te, len(body))
			}
		})
	}
}

// TestPostReleasesBody: once Post returned a streamed response, nothing
// of the request holds the body's bytes, though the response (and through
// it the *http.Request) lives on, unread, for as long as the stream: with a
// real prompt those bytes are most of what a held stream costs. GetBody
// then fails cleanly instead of handing out a nil body.
func TestPostReleasesBody(t *testing.T) {
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hold)

	// Its own allocation, big enough to be no tiny-allocator block, so the
	// cleanup tracks exactly the body's backing array.
	body := make([]byte, 4096)
	copy(body, `{"model":"m","messages":[{"role":"user","content":"a long prompt"}]}`)
	var freed atomic.Bool
	runtime.AddCleanup(&body[0], func(f *atomic.Bool) { f.Store(true) }, &freed)
	resp, err := Post(context.Background(), &http.Client{}, Request{URL: srv.URL, Body: body, Stream: true}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body = nil // the test's own reference; only the request could hold the array now
	_ = body

	// Not a timing assertion: the collector and the cleanup goroutine get
	// as many chances as they need, and either run or never will.
	for i := 0; i < 50 && !freed.Load(); i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if !freed.Load() {
		t.Error("the body's bytes are still reachable while the response is open")
	}
	if rc, err := resp.Request.GetBody(); !errors.Is(err, errBodyReleased) || rc != nil {
		t.Errorf("GetBody after Post = %T, %v; want no body and errBodyReleased", rc, err)
	}
	runtime.KeepAlive(resp)
}

// TestSetBodyRewinds: until the round trip returns, GetBody gives the
// transport the whole body again however much of it was sent, as a retry
// on a dead keep-alive connection (HTTP/1) or after GOAWAY (HTTP/2) needs;
// a closed body reads nothing more.
func TestSetBodyRewinds(t *testing.T) {
	want := []byte(`{"messages":[]}`)
	req, _ := http.NewRequest(http.MethodPost, "http://x", nil)
	src := setBody(req, want)
	if req.ContentLength != int64(len(want)) {
		t.Errorf("ContentLength %d, want %d", req.ContentLength, len(want))
	}
	if b, err := io.ReadAll(req.Body); err != nil || !bytes.Equal(b, want) {
		t.Errorf("Body read %q, %v", b, err)
	}
	for range 2 {
		rc, err := req.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, 4)
		if _, err := rc.Read(p); err != nil || string(p) != `{"me` {
			t.Errorf("GetBody's reader read %q, %v", p, err)
		}
		_ = rc.Close()
		if n, err := rc.Read(p); n != 0 || err != io.EOF {
			t.Errorf("a closed body read %d, %v; want 0, EOF", n, err)
		}
	}
	src.release()
	if _, err := req.GetBody(); !errors.Is(err, errBodyReleased) {
		t.Errorf("GetBody after release: %v", err)
	}

	empty, _ := http.NewRequest(http.MethodPost, "http://x", nil)
	setBody(empty, nil).release() // an empty body has nothing to release
	if empty.Body != http.NoBody || empty.ContentLength != 0 {
		t.Errorf("empty body: %v, %d; want http.NoBody, 0", empty.Body, empty.ContentLength)
	}
	if rc, err := empty.GetBody(); rc != http.NoBody || err != nil {
		t.Errorf("empty GetBody: %v, %v", rc, err)
	}
}
