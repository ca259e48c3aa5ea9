// Package gwerr is windrose's one error type. Every layer classifies a failure
// into a Kind; the executor decides retries from the Kind, the server picks
// the HTTP status from it (HTTPStatus), and metrics label by it.
package gwerr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind classifies a failure.
type Kind int

// Kinds of failure. The zero Kind is Internal so that an unclassified error
// is never mistaken for the client's fault.
const (
	Internal       Kind = iota // a bug or an unexpected condition in windrose
	InvalidRequest             // the request is wrong; retrying elsewhere will not help
	NotFound                   // unknown model or route
	TooLarge                   // body over the configured limit
	Auth                       // bad or missing credentials
	RateLimited                // 429-style throttling; RetryAfter may say for how long
	Overloaded                 // the provider is out of capacity (503/529-style)
	Timeout                    // a deadline passed waiting for the provider
	Upstream                   // the provider failed (5xx, malformed answer, cut stream)
	Unavailable                // no deployment could take the request
	Canceled                   // the client went away
	// ModelUnavailable: this deployment cannot serve this model (retired,
	// not found, not deployed, not enabled for the account or region). It is
	// the deployment's fault, never the client's: fail over at once and keep
	// the deployment out of rotation for long.
	ModelUnavailable
)

// Codes shared by adapters, so a machine code is spelt once.
const (
	// CodeContextLength marks an InvalidRequest that is a context-window
	// overflow: deployment-specific when deployments declare windows.
	CodeContextLength = "context_length_exceeded"
	// CodeModelUnavailable is the code clients see when every deployment
	// answered ModelUnavailable.
	CodeModelUnavailable = "model_unavailable"
)

var kindNames = [...]string{
	Internal:         "internal",
	InvalidRequest:   "invalid_request",
	NotFound:         "not_found",
	TooLarge:         "too_large",
	Auth:             "auth",
	RateLimited:      "rate_limited",
	Overloaded:       "overloaded",
	Timeout:          "timeout",
	Upstream:         "upstream",
	Unavailable:      "unavailable",
	Canceled:         "canceled",
	ModelUnavailable: "model_unavailable",
}

// String returns the Kind's bounded label value (safe for metrics).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Retryable reports whether another attempt (on this or another deployment)
// may succeed. Auth is retryable on another deployment: a provider's rejected
// key says nothing about the next provider's.
func (k Kind) Retryable() bool {
	switch k {
	case RateLimited, Overloaded, Timeout, Upstream, Auth, Unavailable, ModelUnavailable:
		return true
	}
	return false
}

// Error is a classified failure.
type Error struct {
	Kind    Kind
	Message string // safe to show the client: never a key, never prompt text
	Param   string // the offending request field, when known
	Code    string // OpenAI-style machine code, e.g. "context_length_exceeded"

	// RetryAfter is how long the provider asked us to wait (0 when it did
	// not say).
	RetryAfter time.Duration
	// Status is the upstream HTTP status that produced the error, 0 if none.
	Status int
	// Err is the cause, for logs; it is not shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an Error of kind k with a client-safe message.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Wrap classifies cause as kind k.
func Wrap(k Kind, cause error, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...), Err: cause}
}

// KindOf returns the Kind of err: the Kind of the first *Error in its chain,
// Canceled for context.Canceled, Timeout for context.DeadlineExceeded, and
// Internal otherwise.
func KindOf(err error) Kind {
	var e *Error
	switch {
	case err == nil:
		return Internal
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	}
	return Internal
}

// As returns the first *Error in err's chain, or a new Internal one wrapping
// err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	k := KindOf(err)
	return &Error{Kind: k, Message: defaultMessage(k), Err: err}
}

// StatusClientClosed is the non-standard status logged when the client hung
// up (nginx's 499). It is never written to a live connection.
const StatusClientClosed = 499

// HTTPStatus is the one table from error to the status a client sees.
func HTTPStatus(err error) int {
	switch KindOf(err) {
	case InvalidRequest:
		return http.StatusBadRequest
	case NotFound:
		return http.StatusNotFound
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case Auth:
		return http.StatusUnauthorized
	case RateLimited:
		return http.StatusTooManyRequests
	case Overloaded, Unavailable:
		return http.StatusServiceUnavailable
	case Timeout:
		return http.StatusGatewayTimeout
	case Upstream, ModelUnavailable:
		return http.StatusBadGateway
	case Canceled:
		return StatusClientClosed
	}
	return http.StatusInternalServerError
}

// OpenAIType is the error.type string of OpenAI's envelope for err.
func OpenAIType(err error) string {
	switch KindOf(err) {
	case InvalidRequest, NotFound, TooLarge:
		return "invalid_request_error"
	case Auth:
		return "authentication_error"
	case RateLimited:
		return "rate_limit_error"
	case Timeout:
		return "timeout_error"
	case Overloaded, Unavailable, Upstream, ModelUnavailable:
		return "service_unavailable_error"
	}
	return "server_error"
}

func defaultMessage(k Kind) string {
	switch k {
	case Canceled:
		return "the client canceled the request"
	case Timeout:
		return "the request timed out"
	}
	return "internal error"
}
