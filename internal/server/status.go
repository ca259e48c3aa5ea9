package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/health"
)

// statusView is the body of GET /v1/windrose/status: upstream health per
// deployment, for humans and scripts (Prometheus has the same figures as
// metrics).
type statusView struct {
	Object string        `json:"object"` // "windrose.status"
	Ready  bool          `json:"ready"`  // what /readyz says (false while draining)
	Models []modelStatus `json:"models"`
}

type modelStatus struct {
	Name        string             `json:"name"`
	Deployments []deploymentStatus `json:"deployments"`
}

type deploymentStatus struct {
	Name          string `json:"name"`
	Provider      string `json:"provider"`
	Region        string `json:"region"`
	Model         string `json:"model"`
	ModelVersion  string `json:"model_version,omitempty"`
	ContextWindow int    `json:"context_window,omitempty"`
	// State is the breaker: closed, half_open or open.
	State string `json:"state"`
	// OpenRemaining is how long an open breaker waits before its probe.
	OpenRemaining float64 `json:"open_remaining_seconds"`
	// Cooldown is what is left of a Retry-After.
	Cooldown      float64 `json:"cooldown_remaining_seconds"`
	LastErrorKind string  `json:"last_error_kind"`
	TTFTP50       float64 `json:"ttft_p50_seconds"`
	TTFTP95       float64 `json:"ttft_p95_seconds"`
	TTFTSamples   int     `json:"ttft_samples"`
	// FirstToken is the bound an empty prompt gets now; FirstTokenMode
	// says whether it is fixed or adapts to the deployment's history.
	FirstToken     float64 `json:"first_token_timeout_seconds"`
	FirstTokenMode string  `json:"first_token_timeout_mode"`
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	v := statusView{Object: "windrose.status", Ready: s.ready.Load(), Models: []modelStatus{}}
	for _, rt := range s.snapOf(r.Context()).Catalog.Routes() {
		m := modelStatus{Name: rt.Model.Name, Deployments: []deploymentStatus{}}
		for _, t := range rt.Targets {
			m.Deployments = append(m.Deployments, s.deploymentStatus(rt, t))
		}
		v.Models = append(v.Models, m)
	}
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

func (s *Server) deploymentStatus(rt *executor.Route, t *executor.Target) deploymentStatus {
	var h health.Status
	if s.o.Status != nil {
		h = s.o.Status(t.Name)
	}
	mode := "auto"
	if t.FirstToken.Fixed > 0 || t.FirstToken == (executor.FirstTokenBound{}) {
		mode = "fixed"
	}
	return deploymentStatus{
		Name: t.Name, Provider: t.Provider, Region: t.Region, Model: t.Model,
		ModelVersion: t.ModelVersion, ContextWindow: t.ContextWindow,
		State: h.State.String(), OpenRemaining: secs(h.OpenRemaining), Cooldown: secs(h.Cooldown),
		LastErrorKind: h.LastErrorKind, TTFTP50: secs(h.P50), TTFTP95: secs(h.P95), TTFTSamples: h.Samples,
		FirstToken: secs(s.o.Executor.EffectiveFirstToken(rt, t)), FirstTokenMode: mode,
	}
}

func secs(d time.Duration) float64 { return d.Seconds() }
