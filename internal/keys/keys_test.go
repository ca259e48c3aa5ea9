package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
)

// TestSetHoldsOnlyHashes: a key given in plaintext and one given as
// sha256:<hex> both authenticate, under their configured names, a near
// miss does not, and the Set keeps no plaintext (a heap dump or a debug
// print of it shows no secret).
func TestSetHoldsOnlyHashes(t *testing.T) {
	const plain, hashed = "sk-plain-SECRET-1", "sk-hashed-SECRET-2"
	sum := sha256.Sum256([]byte(hashed))
	yaml := fmt.Sprintf(`server: {api_keys: [%q]}
keys:
  - {name: team-a, key: "sha256:%s"}
models:
  - name: m
    deployments:
      - {name: d, provider: mistral, model: x, api_key: k}
`, plain, hex.EncodeToString(sum[:]))
	cfg, err := config.Parse([]byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for secret, name := range map[string]string{plain: "api_keys[0]", hashed: "team-a"} {
		if k, ok := s.Lookup(secret); !ok || k.Name != name {
			t.Errorf("Lookup(%q) = %v, %v; want the key named %q", secret, k, ok, name)
		}
		if _, ok := s.Lookup(secret[:len(secret)-1]); ok {
			t.Errorf("a prefix of %q authenticates", secret)
		}
	}
	var dump strings.Builder
	for _, k := range s.byHash {
		fmt.Fprintf(&dump, "%#v\n", *k)
	}
	if d := dump.String(); strings.Contains(d, plain) || strings.Contains(d, hashed) {
		t.Errorf("the key set holds a plaintext key:\n%s", d)
	}
}
