// Package all assembles the registry of every built-in provider kind. It
// lives apart from package providers because the adapters import providers.
package all

import (
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/azure"
	"github.com/windrose-gw/windrose/providers/bedrock"
	"github.com/windrose-gw/windrose/providers/mistral"
	"github.com/windrose-gw/windrose/providers/openai"
	"github.com/windrose-gw/windrose/providers/openrouter"
	"github.com/windrose-gw/windrose/providers/vertex"
	"github.com/windrose-gw/windrose/providers/watsonx"
)

// Registry returns a new registry with every built-in kind registered.
func Registry() *providers.Registry {
	r := providers.NewRegistry()
	r.Register(mistral.Kind, mistral.New)
	r.Register(openrouter.Kind, openrouter.New)
	r.Register(openai.Kind, openai.New)
	r.Register(bedrock.Kind, bedrock.New)
	r.Register(azure.Kind, azure.New)
	r.Register(watsonx.Kind, watsonx.New)
	r.Register(vertex.Kind, vertex.New)
	return r
}
