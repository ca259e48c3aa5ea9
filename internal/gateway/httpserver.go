package gateway

import (
	"log"
	"net/http"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
)

// ReadHeaderTimeout bounds reading a request's line and headers.
const ReadHeaderTimeout = 10 * time.Second

// HTTPServer is the http.Server that serves h under the server limits of s:
// header read timeout, idle keep-alive timeout and header size. The body
// read deadline and the per-write stream deadline are set per request by
// the server package (an http.Server ReadTimeout or WriteTimeout would cut
// long streams too).
func HTTPServer(s *config.Server, h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       s.IdleTimeout.D(),
		MaxHeaderBytes:    int(s.MaxHeaderBytes),
		ErrorLog:          errorLog,
	}
}
