package mistralwire

import (
	"crypto/sha256"
	"encoding/binary"
)

// Mistral rejects any tool-call id that is not exactly idLen characters of
// [a-zA-Z0-9] (PROVIDERS.md §0), while OpenAI-style callers send ids such as
// "call_abc…". The adapter rewrites ids on the way in and maps them back on
// the way out.
const idLen = 9

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// validID reports whether Mistral accepts id as is.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// hashID derives a 9-character base62 id from id and a salt. It depends on
// nothing but its inputs, so every turn of a conversation (each a separate,
// stateless request) rewrites the same caller id to the same Mistral id.
func hashID(id string, salt byte) string {
	h := sha256.New()
	h.Write([]byte(id))
	if salt != 0 {
		h.Write([]byte{0, salt})
	}
	var sum [sha256.Size]byte
	n := binary.BigEndian.Uint64(h.Sum(sum[:0]))
	var out [idLen]byte
	for i := range out {
		out[i] = base62[n%62]
		n /= 62
	}
	return string(out[:])
}

// IDMap rewrites one request's tool-call ids and remembers the way back.
type IDMap struct {
	fwd map[string]string // caller id → Mistral id
	rev map[string]string // Mistral id → caller id (rewritten ids only)
}

// Rewrite returns the Mistral id for a caller id. Valid ids stay as they
// are; others are hashed. A hash that collides with another id of the same
// request is re-salted, so two different caller ids never merge.
func (m *IDMap) Rewrite(id string) string {
	if out, ok := m.fwd[id]; ok {
		return out
	}
	if m.fwd == nil {
		m.fwd, m.rev = map[string]string{}, map[string]string{}
	}
	out := id
	if !validID(id) {
		out = hashID(id, 0)
		for salt := byte(1); m.taken(out, id); salt++ {
			out = hashID(id, salt)
		}
		m.rev[out] = id
	}
	m.fwd[id] = out
	return out
}

// taken reports whether out is already used for a caller id other than id.
func (m *IDMap) taken(out, id string) bool {
	if orig, ok := m.rev[out]; ok && orig != id {
		return true
	}
	if _, ok := m.fwd[out]; ok && out != id {
		return true // a caller's own valid id equal to our hash
	}
	return false
}

// Restore maps an id from Mistral back to the caller's id. Ids the model
// newly generated are not in the map and pass through.
func (m *IDMap) Restore(id string) string {
	if orig, ok := m.rev[id]; ok {
		return orig
	}
	return id
}
