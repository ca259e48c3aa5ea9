// Package keys is client-key governance: it finds the key a request
// carries, checks the key's models, and admits, meters and settles the
// request against the key's rate limits and budget in a state.Store.
package keys

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/state"
)

// Key is one client key as windrose holds it: the SHA-256 of the secret,
// never the secret.
type Key struct {
	// Name labels the key in logs and metrics. Keys from server.api_keys
	// are named "api_keys[i]".
	Name    string
	hash    [32]byte
	models  map[string]bool // canonical model names; nil means all
	Regions []string
	Limits  state.Limits
	// EstimateOutput is the token reservation for a request without
	// max_tokens.
	EstimateOutput int64
	Metadata       map[string]string
	Admin          bool
}

// Limited reports whether the key has any limit to count.
func (k *Key) Limited() bool { return k.Limits != (state.Limits{}) }

// Allows reports whether the key may use the model named model (its
// canonical name).
func (k *Key) Allows(model string) bool { return k.models == nil || k.models[strings.ToLower(model)] }

// Models lists the models the key may use, nil for all.
func (k *Key) Models() []string {
	if k.models == nil {
		return nil
	}
	out := make([]string, 0, len(k.models))
	for m := range k.models {
		out = append(out, m)
	}
	return out
}

// Set is every key of a config.
type Set struct {
	byHash map[[32]byte]*Key
}

// NewSet builds the keys of a validated config: server.api_keys as unnamed
// keys without limits, server.admin_keys, and the named keys.
func NewSet(c *config.Config) (*Set, error) {
	s := &Set{byHash: map[[32]byte]*Key{}}
	canon := map[string]string{} // lower-cased name or alias → model name
	for _, m := range c.Models {
		canon[strings.ToLower(m.Name)] = strings.ToLower(m.Name)
		for _, a := range m.Aliases {
			canon[strings.ToLower(a)] = strings.ToLower(m.Name)
		}
	}
	add := func(path string, secret config.Secret, k *Key) error {
		h, ok := config.KeyHash(secret, sha256.Sum256)
		if !ok {
			return fmt.Errorf("%s: a sha256: key must be followed by 64 hex digits", path)
		}
		if prev, dup := s.byHash[h]; dup {
			if k.Admin && !prev.Admin {
				prev.Admin = true
				return nil
			}
			return fmt.Errorf("%s: the same key is configured twice", path)
		}
		k.hash = h
		s.byHash[h] = k
		return nil
	}
	for i, secret := range c.Server.APIKeys {
		name := fmt.Sprintf("api_keys[%d]", i)
		if err := add("server."+name, secret, &Key{Name: name}); err != nil {
			return nil, err
		}
	}
	for i := range c.Keys {
		ck := &c.Keys[i]
		k := &Key{Name: ck.Name, Regions: ck.Regions, Metadata: ck.Metadata}
		if len(ck.Models) > 0 {
			k.models = map[string]bool{}
			for _, m := range ck.Models {
				k.models[canon[strings.ToLower(m)]] = true
			}
		}
		if r := ck.Rate; r != nil {
			k.Limits.RequestsPerMinute, k.Limits.TokensPerMinute = r.RequestsPerMinute, r.TokensPerMinute
			k.EstimateOutput = r.EstimateOutputTokens
		}
		if b := ck.Budget; b != nil {
			k.Limits.BudgetUSD = b.USD
			k.Limits.Period, _ = state.ParsePeriod(b.Period)
		}
		if err := add(fmt.Sprintf("keys[%d].key", i), ck.Key, k); err != nil {
			return nil, err
		}
	}
	for i, secret := range c.Server.AdminKeys {
		name := fmt.Sprintf("admin_keys[%d]", i)
		if err := add("server."+name, secret, &Key{Name: name, Admin: true}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Empty reports whether no key is configured (no client auth).
func (s *Set) Empty() bool { return s == nil || len(s.byHash) == 0 }

// Lookup finds the key whose secret is presented. Only the SHA-256 of the
// presented value is compared, in constant time, so neither the map nor the
// comparison leaks how much of a key matched.
func (s *Set) Lookup(presented string) (*Key, bool) {
	h := sha256.Sum256([]byte(presented))
	k, ok := s.byHash[h]
	if !ok || subtle.ConstantTimeCompare(h[:], k.hash[:]) != 1 {
		return nil, false
	}
	return k, true
}

// All returns every named key with limits or policy (for the admin view).
func (s *Set) All() []*Key {
	out := make([]*Key, 0, len(s.byHash))
	for _, k := range s.byHash {
		out = append(out, k)
	}
	return out
}
