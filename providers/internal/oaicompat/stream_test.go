package oaicompat

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

// Every recorded transcript under testdata/stream is read to its end and
// compared with its golden events and final error. The transcripts cover:
// Mistral's text and tool-call streams (usage on the finishing chunk),
// OpenRouter's keep-alive comments and usage-only final chunk, in-band
// errors with string and numeric codes (usage kept on the error), and every
// improper end (no [DONE], no finish reason, malformed or cut chunks).
func TestStreamTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "stream", "*.sse"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := NewStream(context.Background(), io.NopCloser(strings.NewReader(string(raw))), StreamOptions{Provider: "test"})
			tr := golden.Read(s, 1000)
			golden.CheckJSON(t, filepath.Join("testdata", "stream", name+".json"), tr, *update)
			// After the end, Next keeps returning the same result.
			if _, err := s.Next(); err != tr.Err() {
				t.Errorf("second Next after end = %v, want %v", err, tr.Err())
			}
		})
	}
}

// blockingBody never returns data until closed, like a stalled upstream.
type blockingBody struct {
	closed chan struct{}
}

func (b *blockingBody) Read([]byte) (int, error) {
	<-b.closed
	return 0, errors.New("read on closed body")
}

func (b *blockingBody) Close() error {
	select {
	case <-b.closed:
	default:
		close(b.closed)
	}
	return nil
}

// Close from another goroutine must unblock a Next stuck on a stalled read.
func TestStreamCloseUnblocksNext(t *testing.T) {
	body := &blockingBody{closed: make(chan struct{})}
	s := NewStream(context.Background(), body, StreamOptions{Provider: "test"})
	done := make(chan error, 1)
	go func() {
		_, err := s.Next()
		done <- err
	}()
	_ = s.Close()
	select {
	case err := <-done:
		if gwerr.KindOf(err) != gwerr.Canceled {
			t.Errorf("Next after Close = %v, want Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next did not return after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// A passed context deadline is a Timeout, whatever the body's read error.
func TestStreamDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	body := &blockingBody{closed: make(chan struct{})}
	s := NewStream(ctx, body, StreamOptions{Provider: "test"})
	<-ctx.Done()
	_ = body.Close()
	if _, err := s.Next(); gwerr.KindOf(err) != gwerr.Timeout {
		t.Errorf("Next = %v, want Timeout", err)
	}
}

// The tool-id mapper is applied to ids in the stream.
func TestStreamMapsToolIDs(t *testing.T) {
	in := `data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"abcDEF123","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}` + "\n\ndata: [DONE]\n\n"
	s := NewStream(context.Background(), io.NopCloser(strings.NewReader(in)), StreamOptions{
		Provider:  "test",
		MapToolID: func(id string) string { return map[string]string{"abcDEF123": "call_original"}[id] },
	})
	ev, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.Deltas[0].ToolCalls[0].ID; got != "call_original" {
		t.Errorf("tool call id = %q, want call_original", got)
	}
	if ev.Deltas[0].FinishReason != llm.FinishToolCalls {
		t.Errorf("finish = %q", ev.Deltas[0].FinishReason)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("end = %v, want io.EOF", err)
	}
}

// A body that ends cleanly (io.EOF, no [DONE]) after the request's
// deadline passed is windrose's own cut: Timeout, not the provider's
// Upstream failure. Over TLS a deadline-closed connection can read as a
// clean EOF.
func TestStreamEOFAfterDeadline(t *testing.T) {
	tests := []struct {
		name    string
		expired bool
		want    gwerr.Kind
	}{
		// The deadline passed: Timeout.
		{"deadline passed", true, gwerr.Timeout},
		// The context is live: the provider cut the stream.
		{"context live", false, gwerr.Upstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.expired {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, time.Now().Add(-time.Second))
				defer cancel()
			}
			body := "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n"
			s := NewStream(ctx, io.NopCloser(strings.NewReader(body)), StreamOptions{Provider: "test"})
			if _, err := s.Next(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Next(); gwerr.KindOf(err) != tt.want {
				t.Errorf("end = %v, want kind %v", err, tt.want)
			}
		})
	}
}
