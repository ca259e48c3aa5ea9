package watsonx

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/go-sdk-core/v5/core"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// iamTimeout bounds one token exchange. The SDK's RequestToken takes no
// context, so the IAM client's own timeout is what stops a hung IAM host.
const iamTimeout = 30 * time.Second

// tokens hands out IAM bearer tokens through the IBM SDK's IamAuthenticator,
// which owns the cache: it fetches a token on first use, refreshes it in the
// background once 80% of its lifetime has passed, and fetches synchronously
// (one fetch for all waiters, under the SDK's process-wide lock) once it is
// within 10 seconds of its expiration.
//
// The SDK offers no way to drop a cached token that the service rejected.
// When watsonx says a token expired or is not valid, reset swaps in a fresh
// authenticator, whose first GetToken fetches anew; the swap happens once per
// rejected authenticator however many requests saw the rejection.
type tokens struct {
	apiKey string
	url    string // IAM base URL; the SDK appends /identity/token
	client *http.Client

	mu  sync.Mutex // serialises reset
	cur atomic.Pointer[core.IamAuthenticator]
}

// newTokens builds the token source. It validates the configuration but
// makes no network call.
func newTokens(apiKey, iamURL string, base *http.Client) (*tokens, error) {
	t := &tokens{apiKey: apiKey, url: iamURL, client: iamClient(base)}
	a, err := t.build()
	if err != nil {
		return nil, err
	}
	t.cur.Store(a)
	return t, nil
}

// iamClient shares windrose's pooled transport but adds the timeout the
// SDK's context-less token request needs.
func iamClient(base *http.Client) *http.Client {
	if base == nil {
		base = oaicompat.DefaultHTTPClient()
	}
	return &http.Client{Transport: base.Transport, Timeout: iamTimeout}
}

func (t *tokens) build() (*core.IamAuthenticator, error) {
	a, err := core.NewIamAuthenticatorBuilder().SetApiKey(t.apiKey).SetURL(t.url).SetClient(t.client).Build()
	if err != nil {
		// The SDK's message may quote the key's shape, never the key; keep
		// only a fixed text anyway.
		return nil, errors.New("api_key: required for provider watsonx (an IBM Cloud API key)")
	}
	return a, nil
}

// token returns a bearer token and the authenticator it came from (for
// reset). A fetch that outlives ctx is abandoned (it finishes in the
// background and fills the cache); the caller gets ctx's error.
func (t *tokens) token(ctx context.Context) (string, *core.IamAuthenticator, error) {
	a := t.cur.Load()
	type result struct {
		tok string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		tok, err := a.GetToken()
		ch <- result{tok, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", a, iamError(r.err, t.apiKey)
		}
		return r.tok, a, nil
	case <-ctx.Done():
		return "", a, oaicompat.TransportError(ctx, ctx.Err(), Kind+" IAM")
	}
}

// reset replaces stale with a fresh authenticator unless another request
// already did.
func (t *tokens) reset(stale *core.IamAuthenticator) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur.Load() != stale {
		return
	}
	if a, err := t.build(); err == nil {
		t.cur.Store(a)
	}
}

// iamError classifies a failed token exchange. IAM answers a wrong or
// deleted key with 400 BXNIM0415E, a disabled one with 401/403: all are the
// deployment's credential, so Auth (mark it, move on), keeping IAM's status.
// 429 is RateLimited, 5xx and transport failures Upstream.
func iamError(err error, secret string) *gwerr.Error {
	var ae *core.AuthenticationError
	if errors.As(err, &ae) && ae.HTTPProblem != nil && ae.Response != nil {
		status := ae.Response.GetStatusCode()
		msg := oaicompat.Sanitize(ae.Summary, secret)
		e := &gwerr.Error{Kind: gwerr.Auth, Status: status, Message: Kind + ": IAM token exchange failed: " + msg}
		switch {
		case status == http.StatusTooManyRequests:
			e.Kind = gwerr.RateLimited
			e.RetryAfter = oaicompat.RetryAfter(ae.Response.GetHeaders(), time.Now())
		case status >= 500:
			e.Kind = gwerr.Upstream
		}
		return e
	}
	// A transport failure or an unreadable answer. The SDK's text can
	// include the IAM URL but never the key; sanitise it all the same.
	return gwerr.Wrap(gwerr.Upstream, errors.New(oaicompat.Sanitize(err.Error(), secret)), "%s: IAM token exchange failed", Kind)
}
