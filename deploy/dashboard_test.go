package deploy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite generated files (the Grafana dashboard)")

const dashboardFile = "grafana/windrose-dashboard.json"

// TestDashboardGenerated checks the committed dashboard is what
// dashboard_gen_test.go generates (-update rewrites it).
func TestDashboardGenerated(t *testing.T) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(buildDashboard()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(dashboardFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.String(), string(got)); diff != "" {
		t.Errorf("%s is stale; run go test ./deploy/ -run TestDashboardGenerated -update (-generated +file):\n%s", dashboardFile, diff)
	}
}

// readDashboard decodes the JSON file an operator imports.
func readDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// TestDashboardStructure checks what makes the JSON importable and usable:
// a fixed uid, a datasource variable every query uses, the filter
// variables, the rows operators look for, unique panel ids, and panels that
// fit the 24-column grid.
func TestDashboardStructure(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, schemaVersion %d: want a fixed uid and a modern schema", d.UID, d.SchemaVersion)
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
		if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != "${datasource}") {
			t.Errorf("variable %s does not use the datasource variable", v.Name)
		}
	}
	if diff := cmp.Diff([]string{"datasource", "provider", "deployment", "model"}, vars); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
	var rowTitles []string
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W == 0 || p.GridPos.H == 0 {
			t.Errorf("panel %q: gridPos %+v does not fit the grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			rowTitles = append(rowTitles, p.Title)
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource.UID != "${datasource}" || p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: a query does not use the datasource variable", p.Title)
			}
		}
	}
	for _, want := range []string{"Traffic", "Latency", "Errors", "Tokens and cost", "Breakers"} {
		if !slices.ContainsFunc(rowTitles, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("no row %q in %v", want, rowTitles)
		}
	}
}
