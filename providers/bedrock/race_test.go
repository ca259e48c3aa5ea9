package bedrock

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// TestStreamsNotCut: many streams in a row, each on a fresh connection,
// all end cleanly. Without plainBody about one in fifty was cut by
// net/http closing the connection (see plainBody).
func TestStreamsNotCut(t *testing.T) {
	h, err := emulator.New("bedrock", emukit.Options{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	req := &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "Tell me about the mistral wind in the Rhone valley"}}}
	for i := 0; i < 300; i++ {
		p, err := New(config.Deployment{Name: "b", Provider: Kind, Model: "mistral.mistral-large-3-675b-instruct",
			Region: "eu-west-1", BaseURL: srv.URL, APIKey: "k"}, providers.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.ChatStream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for err == nil {
			_, err = s.Next()
		}
		_ = s.Close()
		if !errors.Is(err, io.EOF) {
			t.Fatalf("stream %d ended with %v", i, err)
		}
	}
}
