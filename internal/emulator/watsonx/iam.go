package watsonx

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// DefaultTokenLifetime is how long an emulated IAM token is accepted. Real
// IAM tokens live an hour; the emulator's are short so that refreshes
// happen while the demo runs.
const DefaultTokenLifetime = 15 * time.Minute

// apikeyGrant is the grant_type of IBM's API key exchange (PROVIDERS.md §5.3).
const apikeyGrant = "urn:ibm:params:oauth:grant-type:apikey"

// IAM configures the emulated token service. The zero value is an honest
// IAM issuing tokens for DefaultTokenLifetime.
type IAM struct {
	// TokenLifetime is how long a token is accepted by the chat endpoints.
	// Default DefaultTokenLifetime.
	TokenLifetime emukit.Duration `json:"token_lifetime,omitzero"`
	// AdvertisedLifetime, when set, is the lifetime the token response
	// claims (expires_in and expiration) instead of the real one: longer
	// makes a client keep using a token the service already rejects.
	AdvertisedLifetime emukit.Duration `json:"advertised_lifetime,omitzero"`
	// ExpiresIn, when set, replaces expires_in alone, leaving expiration
	// alone: a long expires_in with a near expiration makes a refresh due at
	// once (the IBM SDK refreshes when 20% of expires_in remains).
	ExpiresIn emukit.Duration `json:"expires_in,omitzero"`
}

// IAMStats counts the token service's work, for tests.
type IAMStats struct {
	// TokenRequests counts POST /identity/token calls, good or bad.
	TokenRequests int64 `json:"token_requests"`
	// Issued counts tokens handed out.
	Issued int64 `json:"tokens_issued"`
	// Expired counts chat requests that came with an expired token.
	Expired int64 `json:"expired_tokens_seen"`
	// Unknown counts chat requests with a token IAM never issued.
	Unknown int64 `json:"unknown_tokens_seen"`
	// LastToken is the sequence number (1-based) of the last token a chat
	// request was accepted with; 0 before any.
	LastToken int64 `json:"last_token"`
}

// iam issues and checks opaque bearer tokens.
type iam struct {
	apiKey string
	now    func() time.Time
	cfg    atomic.Pointer[IAM]

	requests, issued, expired, unknown, last atomic.Int64

	mu     sync.Mutex
	tokens map[string]issuedToken
}

type issuedToken struct {
	seq     int64
	expires time.Time
}

func newIAM(apiKey string, now func() time.Time, cfg IAM) *iam {
	m := &iam{apiKey: apiKey, now: now, tokens: map[string]issuedToken{}}
	m.cfg.Store(&cfg)
	return m
}

func (m *iam) stats() IAMStats {
	return IAMStats{TokenRequests: m.requests.Load(), Issued: m.issued.Load(), Expired: m.expired.Load(),
		Unknown: m.unknown.Load(), LastToken: m.last.Load()}
}

// tokenResponse is IAM's answer (PROVIDERS.md §5.3). expiration is always
// sent: without it the IBM SDK treats every token as expired.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Expiration   int64  `json:"expiration"`
	Scope        string `json:"scope"`
}

// iamError is IAM's own error body (not watsonx's envelope).
func iamError(code, msg string, seq uint64) []byte {
	b, _ := json.Marshal(map[string]any{
		"errorCode": code, "errorMessage": msg,
		"context": map[string]string{"requestId": fmt.Sprintf("emu-%016x", seq), "url": "https://iam.cloud.ibm.com"},
	})
	return b
}

// token serves POST /identity/token: a form with grant_type and apikey.
// A wrong key gets IAM's 400 BXNIM0415E, as the IBM SDKs' tests record.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	m := s.iam
	m.requests.Add(1)
	seq := s.ctl.NextID()
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		emukit.WriteJSON(w, http.StatusBadRequest, iamError("BXNIM0109E", "Property missing or empty. Content-Type must be application/x-www-form-urlencoded", seq))
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<16))
	form, perr := url.ParseQuery(string(raw))
	switch {
	case err != nil || perr != nil:
		emukit.WriteJSON(w, http.StatusBadRequest, iamError("BXNIM0109E", "Property missing or empty. Property name: 'grant_type'", seq))
		return
	case form.Get("grant_type") != apikeyGrant:
		emukit.WriteJSON(w, http.StatusBadRequest, iamError("BXNIM0106E",
			"Validation of property 'grant_type' failed. Supported value: '"+apikeyGrant+"'", seq))
		return
	case form.Get("apikey") == "":
		emukit.WriteJSON(w, http.StatusBadRequest, iamError("BXNIM0109E", "Property missing or empty. Property name: 'apikey'", seq))
		return
	case subtle.ConstantTimeCompare([]byte(form.Get("apikey")), []byte(m.apiKey)) != 1:
		emukit.WriteJSON(w, http.StatusBadRequest, iamError("BXNIM0415E", "Provided API key could not be found.", seq))
		return
	}
	emukit.WriteJSON(w, http.StatusOK, m.issue())
}

// issue mints a token and renders the response.
func (m *iam) issue() []byte {
	cfg := *m.cfg.Load()
	life := time.Duration(cfg.TokenLifetime)
	if life <= 0 {
		life = DefaultTokenLifetime
	}
	adv := life
	if cfg.AdvertisedLifetime > 0 {
		adv = time.Duration(cfg.AdvertisedLifetime)
	}
	now := m.now()
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	seq := m.issued.Add(1)
	tok := "wxemu-" + strconv.FormatInt(seq, 10) + "-" + hex.EncodeToString(rnd[:])
	m.mu.Lock()
	if len(m.tokens) > 1024 {
		for k, t := range m.tokens {
			if !now.Before(t.expires) {
				delete(m.tokens, k)
			}
		}
	}
	m.tokens[tok] = issuedToken{seq: seq, expires: now.Add(life)}
	m.mu.Unlock()
	resp := tokenResponse{AccessToken: tok, RefreshToken: "not_supported", TokenType: "Bearer",
		ExpiresIn: int64(adv / time.Second), Expiration: now.Add(adv).Unix(), Scope: "ibm openid"}
	if cfg.ExpiresIn > 0 {
		resp.ExpiresIn = int64(time.Duration(cfg.ExpiresIn) / time.Second)
	}
	b, _ := json.Marshal(resp)
	return b
}

// check validates a bearer token: "" if it is good, else the watsonx error
// code to reject it with.
func (m *iam) check(r *http.Request) string {
	tok, ok := bearer(r)
	m.mu.Lock()
	t, known := m.tokens[tok]
	m.mu.Unlock()
	switch {
	case !ok || !known:
		m.unknown.Add(1)
		return codeTokenNotValid
	case !m.now().Before(t.expires):
		m.expired.Add(1)
		return codeTokenExpired
	}
	m.last.Store(t.seq)
	return ""
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	if len(h) <= len(p) || h[:len(p)] != p {
		return "", false
	}
	return h[len(p):], true
}

// postIAM replaces the IAM settings at run time (POST /_emulator/iam).
func (s *Server) postIAM(w http.ResponseWriter, r *http.Request) {
	var cfg IAM
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		b, _ := json.Marshal(map[string]string{"error": "bad IAM settings: " + err.Error()})
		emukit.WriteJSON(w, http.StatusBadRequest, b)
		return
	}
	s.iam.cfg.Store(&cfg)
	b, _ := json.Marshal(cfg)
	emukit.WriteJSON(w, http.StatusOK, b)
}

func (s *Server) getIAM(w http.ResponseWriter, _ *http.Request) {
	b, _ := json.Marshal(s.iam.stats())
	emukit.WriteJSON(w, http.StatusOK, b)
}
