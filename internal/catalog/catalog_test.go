package catalog

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/router"
)

func route(name string) *executor.Route {
	return executor.NewRoute(executor.RouteConfig{Model: router.Model{Name: name}})
}

func TestCatalog(t *testing.T) {
	medium, small := route("mistral-medium"), route("mistral-small")
	c := New()
	c.Add(medium, "mistral-medium", "Mistral-Medium-Latest")
	c.Add(small, "mistral-small")

	lookups := []struct {
		name string
		want *executor.Route
	}{
		{"mistral-medium", medium},
		// Aliases resolve to the model's route, without regard to case.
		{"mistral-medium-latest", medium},
		{"MISTRAL-SMALL", small},
		{"mistral-large", nil},
	}
	for _, tt := range lookups {
		got, ok := c.Lookup(tt.name)
		if got != tt.want || ok != (tt.want != nil) {
			t.Errorf("Lookup(%q) = %v, %v; want %v", tt.name, got, ok, tt.want)
		}
	}
	// The listed name keeps the configured spelling, whatever the client sent.
	if n, ok := c.Name("mistral-medium-LATEST"); !ok || n != "Mistral-Medium-Latest" {
		t.Errorf("Name = %q, %v", n, ok)
	}
	if _, ok := c.Name("nope"); ok {
		t.Error("Name(nope) found")
	}
	if diff := cmp.Diff([]string{"Mistral-Medium-Latest", "mistral-medium", "mistral-small"}, c.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	// Each route once, in the order of its first listed name.
	if got := c.Routes(); len(got) != 2 || got[0] != medium || got[1] != small {
		t.Errorf("Routes = %v", got)
	}
}
