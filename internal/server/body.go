package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// maxPrealloc bounds the buffer allocated up front from a client's
// Content-Length when no body limit is configured: a header alone must not
// make windrose allocate gigabytes.
const maxPrealloc = 1 << 20

// readOwned reads the request body into a buffer of its own, never pooled,
// so decoded strings can alias it for the whole life of the request (see
// openaiapi.DecodeOwned): the garbage collector frees it once the last
// attempt lets go, which no pool could know. With a Content-Length the
// buffer is allocated once at the exact size; a chunked body is read into a
// pooled buffer and cloned.
func readOwned(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	n := r.ContentLength
	if limit > 0 && n > limit {
		return nil, tooLarge(limit)
	}
	if n <= 0 || (limit <= 0 && n > maxPrealloc) {
		buf := bufPool.Get().(*bytes.Buffer)
		defer func() { buf.Reset(); bufPool.Put(buf) }()
		if err := readBody(buf, w, r, limit); err != nil {
			return nil, err
		}
		return bytes.Clone(buf.Bytes()), nil
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r.Body, body); err != nil {
		return nil, readError(err, limit)
	}
	return body, nil
}

// readBody reads the request body into buf, enforcing the size limit.
func readBody(buf *bytes.Buffer, w http.ResponseWriter, r *http.Request, limit int64) error {
	if limit > 0 && r.ContentLength > limit {
		return tooLarge(limit)
	}
	body := r.Body
	if limit > 0 {
		body = http.MaxBytesReader(w, r.Body, limit)
	}
	if _, err := buf.ReadFrom(body); err != nil {
		return readError(err, limit)
	}
	return nil
}

// readError turns a failed body read into the client-facing error.
func readError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return tooLarge(limit)
	case isTimeout(err):
		return bodyTimeout(err)
	case errors.Is(err, context.Canceled) || errors.Is(err, io.ErrUnexpectedEOF):
		return gwerr.Wrap(gwerr.Canceled, err, "the client went away")
	}
	return gwerr.Wrap(gwerr.InvalidRequest, err, "could not read the request body")
}
