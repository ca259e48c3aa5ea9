package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/keys"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
	"github.com/windrose-gw/windrose/internal/state"
)

// KeyOf returns the client key a request authenticated with, nil when
// windrose runs without client auth.
func KeyOf(ctx context.Context) *keys.Key {
	if info := infoOf(ctx); info != nil {
		return info.key
	}
	return nil
}

// auth holds the current config snapshot for the request (see Snapshot)
// and, when keys are configured, finds the client key of "Authorization:
// Bearer <key>" and puts it in the request's context.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sn := s.acquire()
		defer sn.release()
		info := infoOf(r.Context()) // requestID runs first on every route
		info.snap = sn
		if sn.Keys.Empty() {
			next.ServeHTTP(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok {
			if k, found := sn.Keys.Lookup(strings.TrimSpace(got)); found {
				info.key = k
				next.ServeHTTP(w, r)
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

// keyView is one key's standing as GET /v1/windrose/keys/self shows it.
type keyView struct {
	Name     string            `json:"name"`
	Models   []string          `json:"models,omitempty"`
	Regions  []string          `json:"regions,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	Limits   struct {
		RequestsPerMinute int64   `json:"requests_per_minute,omitempty"`
		TokensPerMinute   int64   `json:"tokens_per_minute,omitempty"`
		BudgetUSD         float64 `json:"budget_usd,omitempty"`
		BudgetPeriod      string  `json:"budget_period,omitempty"`
	} `json:"limits"`
	Usage struct {
		SpentUSD          float64    `json:"spent_usd"`
		PeriodStart       *time.Time `json:"period_start,omitempty"`
		PeriodEnd         *time.Time `json:"period_end,omitempty"`
		RemainingRequests *int64     `json:"remaining_requests,omitempty"`
		RemainingTokens   *int64     `json:"remaining_tokens,omitempty"`
	} `json:"usage"`
}

func (s *Server) view(ctx context.Context, k *keys.Key) (keyView, error) {
	var v keyView
	v.Name, v.Models, v.Regions, v.Metadata = k.Name, k.Models(), k.Regions, k.Metadata
	l := k.Limits
	v.Limits.RequestsPerMinute, v.Limits.TokensPerMinute = l.RequestsPerMinute, l.TokensPerMinute
	v.Limits.BudgetUSD, v.Limits.BudgetPeriod = l.BudgetUSD, l.Period.String()
	if s.o.Governor == nil || !k.Limited() {
		return v, nil
	}
	u, err := s.o.Governor.Store().Usage(ctx, k.Name, l, s.o.Now())
	if err != nil {
		return v, gwerr.Wrap(gwerr.Unavailable, err, "the shared limit store is unavailable")
	}
	v.Usage.SpentUSD = u.SpentUSD
	if l.Period != state.NoPeriod {
		v.Usage.PeriodStart, v.Usage.PeriodEnd = &u.PeriodStart, &u.PeriodEnd
	}
	if l.RequestsPerMinute > 0 {
		v.Usage.RemainingRequests = &u.RemainingRequests
	}
	if l.TokensPerMinute > 0 {
		v.Usage.RemainingTokens = &u.RemainingTokens
	}
	return v, nil
}

// keySelf serves GET /v1/windrose/keys/self: the caller's own limits,
// spend and reset times.
func (s *Server) keySelf(w http.ResponseWriter, r *http.Request) {
	k := KeyOf(r.Context())
	if k == nil {
		writeError(w, notFound("windrose runs without client keys: there is no key to describe"))
		return
	}
	v, err := s.view(r.Context(), k)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, v)
}

// keyAll serves GET /v1/windrose/keys to admin keys: every key's standing,
// sorted by name (the period's spend, for billing exports).
func (s *Server) keyAll(w http.ResponseWriter, r *http.Request) {
	if k := KeyOf(r.Context()); k == nil || !k.Admin {
		e := gwerr.New(gwerr.Auth, "this view needs a key listed in server.admin_keys")
		e.Code = "admin_key_required"
		writeError(w, e)
		return
	}
	all := s.snapOf(r.Context()).Keys.All()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	out := struct {
		Object string    `json:"object"`
		Data   []keyView `json:"data"`
	}{Object: "list", Data: []keyView{}}
	for _, k := range all {
		if k.Admin {
			continue
		}
		v, err := s.view(r.Context(), k)
		if err != nil {
			writeError(w, err)
			return
		}
		out.Data = append(out.Data, v)
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
