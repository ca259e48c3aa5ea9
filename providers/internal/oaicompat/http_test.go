package oaicompat

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestPostFollowsNoRedirect: a provider that answers a POST with a
// redirect gets neither the request nor its credentials re-sent to where
// it points (net/http's client would forward api-key headers); the caller
// sees the 3xx, which fails the attempt.
func TestPostFollowsNoRedirect(t *testing.T) {
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
		if r.Header.Get("X-Api-Key") != "" {
			t.Errorf("the redirect target got the provider key")
		}
	}))
	defer elsewhere.Close()
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/v1/chat/completions", http.StatusTemporaryRedirect)
	}))
	defer provider.Close()

	for _, c := range []*http.Client{{}, {Transport: http.DefaultTransport.(*http.Transport).Clone()}} {
		resp, err := Post(context.Background(), c, Request{
			URL: provider.URL + "/v1/chat/completions", Body: []byte(`{}`),
			Header: http.Header{"X-Api-Key": {"secret"}},
		}, "test")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusTemporaryRedirect {
			t.Errorf("status %d, want the provider's 307", resp.StatusCode)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}
