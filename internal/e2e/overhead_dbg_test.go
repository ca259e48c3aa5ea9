package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/windrose-gw/windrose/internal/e2e/fastupstream"
	"github.com/windrose-gw/windrose/internal/gateway"
)

func BenchmarkDbgRelay(b *testing.B) {
	up := httptest.NewServer(fastupstream.New(fastupstream.Options{Chunks: 257}))
	defer up.Close()
	target, _ := url.Parse(up.URL)
	tr := gateway.NewHTTPClient().Transport.(*http.Transport)
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }, Transport: tr}
	px := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				b.Logf("abort: ctx err %v", r.Context().Err())
				panic(v)
			}
		}()
		rp.ServeHTTP(w, r)
	}))
	defer px.Close()
	c := newLoadClient()
	b.Run("x", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n, err := do(c, px.URL, overheadStreamBody)
			if err != nil {
				b.Fatalf("proxy %d %d %v", i, n, err)
			}
		}
	})
}
