package deploy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// promAPI is a small client of Prometheus' HTTP API (/api/v1).
type promAPI struct{ base string }

// get decodes one API answer's data, or returns the API's error (a parse
// error comes back as errorType bad_data).
func (p *promAPI) get(path string, params url.Values, data any) error {
	resp, err := http.Get(p.base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status    string          `json:"status"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("%s: %s", body.ErrorType, body.Error)
	}
	return json.Unmarshal(body.Data, data)
}

// instant runs an instant query and returns how many series it returned.
func (p *promAPI) instant(q string) (int, error) {
	var data struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	}
	if err := p.get("/api/v1/query", url.Values{"query": {q}}, &data); err != nil {
		return 0, err
	}
	if data.ResultType == "scalar" {
		return 1, nil
	}
	return len(data.Result), nil
}

// waitSeries polls until q returns a series (scrapes run every 200ms,
// rules every second).
func (p *promAPI) waitSeries(t *testing.T, q string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := p.instant(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no series after 20s", q)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var labelValuesCall = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// labelValues runs a Grafana label_values(selector, label) variable query
// the way Grafana's Prometheus data source does: /api/v1/label/<label>/values
// with match[]=selector.
func (p *promAPI) labelValues(def string) ([]string, error) {
	m := labelValuesCall.FindStringSubmatch(def)
	if m == nil {
		return nil, fmt.Errorf("not a label_values(selector, label) query: %s", def)
	}
	var vals []string
	err := p.get("/api/v1/label/"+m[2]+"/values", url.Values{"match[]": {m[1]}}, &vals)
	return vals, err
}

// ruleHealth returns each loaded rule's health ("ok", "err", "unknown")
// after Prometheus evaluated it, by alert or record name.
func (p *promAPI) ruleHealth() (map[string]string, error) {
	var data struct {
		Groups []struct {
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := p.get("/api/v1/rules", nil, &data); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			out[r.Name] = r.Health + r.LastError
		}
	}
	return out, nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
