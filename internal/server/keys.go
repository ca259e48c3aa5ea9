package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/keys"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
)

type keyCtx struct{}

// KeyOf returns the client key a request authenticated with, nil when
// windrose runs without client auth.
func KeyOf(ctx context.Context) *keys.Key {
	k, _ := ctx.Value(keyCtx{}).(*keys.Key)
	return k
}

// auth finds the client key of "Authorization: Bearer <key>" when keys are
// configured, and puts it in the request's context.
func (s *Server) auth(next http.Handler) http.Handler {
	if s.o.Keys.Empty() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok {
			if k, found := s.o.Keys.Lookup(strings.TrimSpace(got)); found {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyCtx{}, k)))
				return
			}
		}
		e := gwerr.New(gwerr.Auth, "invalid or missing API key: send Authorization: Bearer <key>")
		e.Code = "invalid_api_key"
		writeError(w, e)
	})
}

// admit applies the caller's key to one request of rt's model: the key's
// model list, its region policy (into rr) and its limits. It returns the
// ticket to settle when the request ends (nil without client keys), with
// the rate-limit headers already set, and a context that meters every
// attempt's usage for the settlement.
func (s *Server) admit(ctx context.Context, w http.ResponseWriter, model, requested string, req *llm.ChatRequest, bodyBytes int, rr *router.Request) (context.Context, *keys.Ticket, error) {
	k := KeyOf(ctx)
	if k == nil || s.o.Governor == nil {
		return ctx, nil, nil
	}
	if !k.Allows(model) {
		return ctx, nil, unknownModel(requested)
	}
	rr.PolicyRegions = k.Regions
	t, err := s.o.Governor.Admit(ctx, k, model, k.Estimate(req.MaxTokens, bodyBytes))
	if t != nil {
		t.Headers(w.Header())
	}
	if err != nil {
		return ctx, t, err // a refused ticket settles nothing but is counted
	}
	return executor.WithMeter(ctx, &t.Meter), t, nil
}
