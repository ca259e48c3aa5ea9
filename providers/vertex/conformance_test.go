package vertex

import (
	"testing"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/providertest"
)

// The whole suite over gRPC + TLS: the adapter trusts the emulator's
// generated certificate through ca_file and sends a static OAuth2 token.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Name:     Kind,
		Emulator: func(t *testing.T) string { return startEmulator(t, emukit.Options{}).root },
		New: func(t *testing.T, root, key string) providers.Provider {
			e, ok := running.Load(root)
			if !ok {
				t.Fatalf("no emulator at %s", root)
			}
			return e.(*emulated).adapter(t, key)
		},
		APIKey: emulatorToken,
		// Vertex relays the container's finish_reason "error" chunk.
		Caps: providertest.Capabilities{Tools: true, JSONMode: true, StreamUsage: true, InBandErrors: true, InBandUsage: true},
	})
}
