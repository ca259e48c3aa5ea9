package azure

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// Entra ID audiences: the resource a token is for (its scope without
// "/.default").
const (
	AudienceCognitive = "https://cognitiveservices.azure.com" // Foundry, Azure OpenAI
	AudienceML        = "https://ml.azure.com"                // serverless and ML endpoints
)

// token is one issued access token.
type token struct {
	audience string
	expires  time.Time
}

// tokens is the emulator's issued-token store.
type tokens struct {
	mu     sync.Mutex
	issued map[string]token
}

// issue stores a new opaque token for audience, valid for life, and prunes
// long-expired ones so the store stays small.
func (ts *tokens) issue(audience string, now time.Time, life time.Duration) string {
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	tok := "emu-entra-" + hex.EncodeToString(raw[:])
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.issued == nil {
		ts.issued = map[string]token{}
	}
	for k, t := range ts.issued {
		if now.Sub(t.expires) > time.Minute {
			delete(ts.issued, k)
		}
	}
	ts.issued[tok] = token{audience: audience, expires: now.Add(life)}
	return tok
}

// check reports whether tok was issued here, for audience, and is unexpired
// at now; expired is true for a known token past its lifetime.
func (ts *tokens) check(tok, audience string, now time.Time) (ok, expired bool) {
	ts.mu.Lock()
	t, known := ts.issued[tok]
	ts.mu.Unlock()
	if !known || t.audience != audience {
		return false, false
	}
	if !now.Before(t.expires) {
		return false, true
	}
	return true, false
}

// baseURL is the scheme and host the client used to reach us.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// discovery serves /{tenant}/v2.0/.well-known/openid-configuration: MSAL
// reads the token, authorization and issuer endpoints from it, and checks
// that the issuer is on the authority's host.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	s.discoveries.Add(1)
	tenant := r.PathValue("tenant")
	base := baseURL(r) + "/" + tenant
	doc := map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"issuer":                                base + "/v2.0",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"tenant_region_scope":                   "EU",
	}
	b, _ := json.Marshal(doc)
	emukit.WriteJSON(w, http.StatusOK, b)
}

// tokenEndpoint serves POST /{tenant}/oauth2/v2.0/token for the client
// credentials grant, authenticated by client_secret or, for workload
// identity, a client_assertion (the federated token). Both must equal the
// emulator's key. Errors use Entra's OAuth body with its AADSTS codes.
func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	s.tokenRequests.Add(1)
	if err := r.ParseForm(); err != nil {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'grant_type'.")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" {
		s.oauthError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type.")
		return
	}
	if f.Get("client_id") == "" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'client_id'.")
		return
	}
	secret, assertion := f.Get("client_secret"), f.Get("client_assertion")
	switch {
	case secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.APIKey)) == 1:
	case assertion != "" && subtle.ConstantTimeCompare([]byte(assertion), []byte(s.opts.APIKey)) == 1:
	case assertion != "":
		s.oauthError(w, http.StatusBadRequest, "invalid_client", 700211, "AADSTS700211: No matching federated identity record found for presented assertion issuer.")
		return
	default:
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", 7000215,
			"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+f.Get("client_id")+"'.")
		return
	}
	var audience string
	for _, sc := range strings.Fields(f.Get("scope")) {
		if a, ok := strings.CutSuffix(sc, "/.default"); ok {
			audience = a
		}
	}
	if audience == "" {
		s.oauthError(w, http.StatusBadRequest, "invalid_scope", 1002012, "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	life := s.cfg.TokenLifetime
	tok := s.tokens.issue(audience, s.opts.Now(), life)
	s.tokensIssued.Add(1)
	secs := int(life / time.Second)
	body := map[string]any{"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok}
	if s.cfg.RefreshIn > 0 {
		body["refresh_in"] = int(s.cfg.RefreshIn / time.Second)
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	emukit.WriteJSON(w, http.StatusOK, b)
}

// oauthError writes Entra's token-endpoint error body.
func (s *Server) oauthError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	s.tokenFailures.Add(1)
	now := s.opts.Now().UTC()
	desc += " Trace ID: 00000000-0000-0000-0000-000000000000 Correlation ID: 00000000-0000-0000-0000-000000000000 Timestamp: " + now.Format("2006-01-02 15:04:05Z")
	b, _ := json.Marshal(map[string]any{
		"error": code, "error_description": desc, "error_codes": []int{aadsts},
		"timestamp": now.Format("2006-01-02 15:04:05Z"), "trace_id": "00000000-0000-0000-0000-000000000000",
		"correlation_id": "00000000-0000-0000-0000-000000000000",
	})
	emukit.WriteJSON(w, status, b)
}
