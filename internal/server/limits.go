package server

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/router"
)

// limitInFlight answers 503 "overloaded" with Retry-After: 1 to /v1
// requests beyond server.max_in_flight, instead of queueing them without
// bound (each holds a goroutine, a body buffer and often an upstream
// connection). The API's routes share one cap (slots); the admin
// listener's status route has a cap of its own, so a saturated API never
// blinds its operator.
func (s *Server) limitInFlight(slots chan struct{}) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if slots == nil {
			return next
		}
		return s.limited(slots, next)
	}
}

func (s *Server) limited(slots chan struct{}, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		default:
			e := gwerr.New(gwerr.Overloaded, "windrose is serving its limit of %d requests at once (server.max_in_flight); retry shortly", s.o.MaxInFlight)
			e.Code, e.RetryAfter = "overloaded", time.Second
			status := writeError(w, e)
			api := "chat"
			if strings.HasPrefix(r.URL.Path, "/v1/responses") {
				api = "responses"
			}
			s.o.Metrics.Requests.WithLabelValues("unknown", strconv.Itoa(status), "false", api).Inc()
			return
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// track counts a request for model in windrose_in_flight until the
// returned func runs.
func (s *Server) track(model string) func() {
	g := s.o.Metrics.InFlight.WithLabelValues(model)
	g.Inc()
	return g.Dec
}

// bodyDeadline bounds reading the request body (server.body_read_timeout):
// a client that trickles its body cannot hold a goroutine and a buffer
// forever. The returned func lifts the deadline again, so that it cannot
// cut the connection's background read while a long stream is written.
func (s *Server) bodyDeadline(w http.ResponseWriter) func() {
	if s.o.BodyReadTimeout <= 0 {
		return func() {}
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(s.o.Now().Add(s.o.BodyReadTimeout)) != nil {
		return func() {}
	}
	return func() { _ = rc.SetReadDeadline(time.Time{}) }
}

// bodyTimeout is the error of a body that did not arrive in time.
func bodyTimeout(err error) error {
	e := gwerr.Wrap(gwerr.InvalidRequest, err, "the request body did not arrive within server.body_read_timeout")
	e.Code = "request_body_timeout"
	return e
}

// isTimeout reports whether err is a deadline passing on the connection.
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// checkPin refuses X-Windrose-Deployment unless server.allow_pinning: a
// pinned request skips failover, so it is a debugging tool, not something
// every client of a shared gateway may use.
func (s *Server) checkPin(rr router.Request) error {
	if rr.Pin == "" || s.o.AllowPinning {
		return nil
	}
	e := gwerr.New(gwerr.InvalidRequest, "pinning a deployment with X-Windrose-Deployment is disabled on this gateway (server.allow_pinning)")
	e.Param, e.Code = "X-Windrose-Deployment", "pinning_disabled"
	return e
}
