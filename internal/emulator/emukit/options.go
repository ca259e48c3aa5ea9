package emukit

import (
	"crypto/subtle"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults of Options.
const (
	DefaultAPIKey        = "emulator-key"
	DefaultContextTokens = 131072
	DefaultKeepAlive     = time.Second
)

// Options configure one emulator.
type Options struct {
	// APIKey is the only credential accepted. Default "emulator-key".
	APIKey string
	// Faults is the initial fault set. Default: none.
	Faults Faults
	// ContextTokens is the model's context window; a longer prompt gets the
	// provider's context-length error. Default 131072.
	ContextTokens int
	// Models are the model ids served; others get the provider's
	// invalid-model error. Default: the provider's Medium 3.1 and 3 ids.
	Models []string
	// Aliases are extra model ids the emulator accepts and answers as
	// another id (an alias that points at a newer model, as
	// mistral-medium-latest does): the answer's "model" is the target.
	// Default: the provider's own aliases, if the emulator has any.
	Aliases map[string]string
	// Seed seeds the rate sampling. Default 0 (still deterministic).
	Seed int64
	// Now stamps `created` fields. Default time.Now.
	Now func() time.Time
	// KeepAlive is how often a provider that sends SSE keep-alive comments
	// repeats them while the first token is delayed. Default 1s.
	KeepAlive time.Duration
}

// WithDefaults returns o with every unset field given its default; models
// is the provider's default model list.
func (o Options) WithDefaults(models []string) Options {
	if o.APIKey == "" {
		o.APIKey = DefaultAPIKey
	}
	if o.ContextTokens <= 0 {
		o.ContextTokens = DefaultContextTokens
	}
	if len(o.Models) == 0 {
		o.Models = append([]string(nil), models...)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	return o
}

// NewController builds the controller for o, seeded from o.Seed.
func (o *Options) NewController() *Controller {
	return NewController(o.Faults, rand.NewPCG(uint64(o.Seed), 0x656d75))
}

// BearerOK reports whether r carries `Authorization: Bearer <key>`, compared
// in constant time.
func BearerOK(r *http.Request, key string) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(token), []byte(key)) == 1
}

// Resolve returns the id a request for id is answered as, and whether the
// emulator serves id at all (one of models, or an alias of one).
func (o *Options) Resolve(id string) (string, bool) {
	if to, ok := o.Aliases[id]; ok {
		return to, true
	}
	return id, HasModel(o.Models, id)
}

// HasModel reports whether id is one of models.
func HasModel(models []string, id string) bool {
	for _, m := range models {
		if m == id {
			return true
		}
	}
	return false
}

// AppendString appends s as a JSON string literal.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(append(b, s[start:i]...), `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
