package providers

import (
	"errors"

	"github.com/windrose-gw/windrose/internal/llm"
)

// UsageError carries the provider's token usage on a failed attempt. A
// stream can fail after the provider already billed tokens (OpenRouter's
// in-band error chunk carries usage); the adapter returns the error wrapped
// in a UsageError so the executor can still count those tokens.
//
// It wraps the classified *gwerr.Error, so gwerr.KindOf, gwerr.As and
// errors.As see through it; code must not type-assert a provider error
// directly to *gwerr.Error.
type UsageError struct {
	Err   error
	Usage llm.Usage
}

// Error returns the wrapped error's text.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *UsageError) Unwrap() error { return e.Err }

// WithUsage attaches u to err. It returns err unchanged when u is nil or err
// is nil.
func WithUsage(err error, u *llm.Usage) error {
	if err == nil || u == nil {
		return err
	}
	return &UsageError{Err: err, Usage: *u}
}

// UsageOf returns the usage attached to err with WithUsage, or nil.
func UsageOf(err error) *llm.Usage {
	var ue *UsageError
	if errors.As(err, &ue) {
		u := ue.Usage
		return &u
	}
	return nil
}
