package all

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every built-in kind is registered exactly once (Register panics on a
// duplicate) and under the name configs use.
func TestRegistry(t *testing.T) {
	got := Registry().Kinds()
	if diff := cmp.Diff([]string{"azure", "bedrock", "mistral", "openai", "openrouter", "vertex", "watsonx"}, got); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
}
