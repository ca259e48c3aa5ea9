package vertex

import (
	"context"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"google.golang.org/genproto/googleapis/api/httpbody"
)

// msgReceiver is the part of the StreamRawPredict client the reader uses.
type msgReceiver interface {
	RecvMsg(m any) error
}

// bodyReader turns a StreamRawPredict stream into one byte stream. Vertex
// relays the Mistral container's SSE bytes in HttpBody messages cut
// wherever its buffers were: a message may hold several events, part of
// one, or the end of one and the start of the next. The shared SSE reader
// reassembles events from the bytes, so no message boundary is trusted.
//
// Read returns io.EOF when the stream ended with status OK, and the gRPC
// status error otherwise. Close cancels the call, which unblocks a Read
// waiting in RecvMsg.
type bodyReader struct {
	st     msgReceiver
	cancel context.CancelFunc
	msg    httpbody.HttpBody // reused for every message
	buf    []byte            // unread bytes of the current message
	err    error
}

// newBodyReader starts with first (already received), then reads st.
func newBodyReader(st msgReceiver, cancel context.CancelFunc, first *httpbody.HttpBody) *bodyReader {
	return &bodyReader{st: st, cancel: cancel, buf: first.GetData()}
}

func (r *bodyReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if err := r.st.RecvMsg(&r.msg); err != nil {
			r.err = streamError(err)
			continue
		}
		r.buf = r.msg.Data
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// streamError is what Read reports for a RecvMsg error: io.EOF for a
// clean end; for DEADLINE_EXCEEDED, an error that is
// context.DeadlineExceeded (the client library can notice the deadline a
// moment before the context does, and the stream must still call it a
// timeout); the status error otherwise.
func streamError(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	if status.Code(err) == codes.DeadlineExceeded {
		return fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
	}
	return err
}

// Close cancels the call. It is safe to call more than once.
func (r *bodyReader) Close() error {
	if r.cancel != nil {
		r.cancel()
	}
	return nil
}

var _ io.ReadCloser = (*bodyReader)(nil)
