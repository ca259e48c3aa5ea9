package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
)

// TestReloadModelList checks that both model endpoints answer from the
// snapshot serving now: a model added by a reload is listed and found by
// id, and a removed one is gone from both.
func TestReloadModelList(t *testing.T) {
	urls := upstreams(t, "a")
	gw, srv := startGateway(t, reloadConfig(urls, false, "a"))
	renamed := strings.Replace(reloadConfig(urls, false, "a"), "name: m\n", "name: m2\n", 1)
	cfg, err := config.Parse([]byte(renamed), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/v1/models/m2", http.StatusOK},
		{"/v1/models/m", http.StatusNotFound},
	} {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.want)
		}
	}
	resp, err := http.Get(srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"id":"m2"`) || strings.Contains(b.String(), `"id":"m"`) {
		t.Errorf("GET /v1/models after the reload = %s", b.String())
	}
}
