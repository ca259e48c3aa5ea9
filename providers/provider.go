// Package providers defines the seam between windrose's executor and the
// per-provider adapters: the two-method Provider interface, the Stream it
// returns, and the registry of adapter kinds.
package providers

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/llm"
)

// Provider is one deployment's adapter. Errors are *gwerr.Error with the
// right Kind, RetryAfter and upstream Status.
type Provider interface {
	// Chat sends req and returns the complete answer.
	Chat(ctx context.Context, req *llm.ChatRequest) (*llm.ChatResponse, error)
	// ChatStream sends req and returns the answer as a stream. An error
	// returned here happened before any event; the stream's own errors come
	// from Stream.Next.
	ChatStream(ctx context.Context, req *llm.ChatRequest) (Stream, error)
}

// Prefixer is an optional ability: an adapter whose provider documents an
// assistant prefix (a final assistant message the model continues, e.g.
// Mistral's "prefix": true) says so, and the executor may then resume a
// broken stream on it with llm.Message.Prefix. Declare it only where the
// provider documents it.
type Prefixer interface {
	AssistantPrefix() bool
}

// Stream is a streamed answer.
type Stream interface {
	// Next returns the next event. The event is reused: it is valid only
	// until the next call. Next returns io.EOF after the provider's proper
	// end of stream (a finish reason given, then a clean end, with or
	// without the dialect's terminator); a stream that
	// ends any other way returns a *gwerr.Error (Upstream for a cut or
	// malformed stream, the provider's own kind for an in-band error).
	Next() (*llm.StreamEvent, error)
	// Close releases the connection. It is safe to call more than once and
	// concurrently with Next (to abort a stalled read).
	Close() error
}

// Deps are the shared things an adapter may need.
type Deps struct {
	// HTTPClient is the one pooled keep-alive client every adapter calls
	// its provider with, built from server.upstream (internal/upstream);
	// hand it to an SDK through its own client option. Nil: the adapter
	// uses one with the default settings.
	HTTPClient *http.Client
	Logger     *zap.Logger
}

// Factory builds the adapter for one deployment. It decodes and validates
// d.Options itself and returns an error naming the bad field.
type Factory func(d config.Deployment, deps Deps) (Provider, error)

// Registry maps a provider kind ("mistral", "openrouter", …) to its Factory.
type Registry struct {
	mu        sync.RWMutex
	factories map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{factories: map[string]Factory{}} }

// Register adds a kind. Registering a kind twice is a programming error.
func (r *Registry) Register(kind string, f Factory) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.factories[kind]; dup {
		panic("providers: kind registered twice: " + kind)
	}
	r.factories[kind] = f
}

// Build builds the adapter for d.
func (r *Registry) Build(d config.Deployment, deps Deps) (Provider, error) {
	r.mu.RLock()
	f, ok := r.factories[d.Provider]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown provider %q (known: %v)", d.Provider, r.Kinds())
	}
	return f(d, deps)
}

// Has reports whether kind is registered.
func (r *Registry) Has(kind string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.factories[kind]
	return ok
}

// Kinds lists the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.factories))
	for k := range r.factories {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
