// Package catalog resolves what clients send as "model" to the route that
// serves it: model names and aliases, matched without regard to case, and
// the list GET /v1/models shows. It is routing knowledge, built from the
// config with the routes; the HTTP server only asks it.
package catalog

import (
	"sort"
	"strings"

	"github.com/windrose-gw/windrose/internal/executor"
)

// Catalog resolves model names and aliases to routes. It is built once
// per config snapshot and read-only afterwards, so safe for concurrent
// reads.
type Catalog struct {
	routes map[string]*executor.Route // name and aliases, lower-cased
	names  []string                   // as configured, sorted
}

// New returns an empty catalog.
func New() *Catalog { return &Catalog{routes: map[string]*executor.Route{}} }

// Add registers rt under each of names. The config has been validated so
// that no two names collide (case-insensitively).
func (c *Catalog) Add(rt *executor.Route, names ...string) {
	for _, n := range names {
		c.routes[strings.ToLower(n)] = rt
		c.names = append(c.names, n)
	}
	sort.Strings(c.names)
}

// Lookup returns the route for a client's model name, matched without
// regard to case.
func (c *Catalog) Lookup(name string) (*executor.Route, bool) {
	rt, ok := c.routes[name]
	if !ok {
		rt, ok = c.routes[strings.ToLower(name)]
	}
	return rt, ok
}

// Name returns the listed name (model or alias, as configured) that a
// client's model id resolves to.
func (c *Catalog) Name(id string) (string, bool) {
	for _, n := range c.names {
		if strings.EqualFold(n, id) {
			return n, true
		}
	}
	return "", false
}

// Names returns every model name and alias, as configured and sorted: the
// data of GET /v1/models. The caller must not modify it.
func (c *Catalog) Names() []string { return c.names }

// Routes returns every distinct route, in the order of their first name.
func (c *Catalog) Routes() []*executor.Route {
	seen := map[*executor.Route]bool{}
	var out []*executor.Route
	for _, n := range c.names {
		rt := c.routes[strings.ToLower(n)]
		if !seen[rt] {
			seen[rt] = true
			out = append(out, rt)
		}
	}
	return out
}
