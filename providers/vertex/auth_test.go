package vertex

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

func hello() *llm.ChatRequest {
	return &llm.ChatRequest{Model: "mistral-medium", Messages: []llm.Message{{Role: llm.RoleUser, Content: "hello"}}}
}

// Over TLS, a wrong token reaches the emulator and is refused with
// UNAUTHENTICATED, which the adapter reports as Auth (401): the executor
// marks this deployment and moves on (the failover itself is shown end to
// end in internal/e2e). The right token is accepted on the same server.
func TestWrongToken(t *testing.T) {
	e := startEmulator(t, emukit.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	bad := e.adapter(t, "ya29.wrong-token")
	_, chatErr := bad.Chat(ctx, hello())
	_, streamErr := bad.ChatStream(ctx, hello())
	for name, err := range map[string]error{"chat": chatErr, "stream": streamErr} {
		ge := gwerr.As(err)
		if ge.Kind != gwerr.Auth || ge.Status != 401 || !ge.Kind.Retryable() {
			t.Errorf("%s: %v (kind %v, status %d), want a retryable Auth 401", name, err, ge.Kind, ge.Status)
		}
		if strings.Contains(err.Error(), "wrong-token") {
			t.Errorf("%s: token leaked: %v", name, err)
		}
	}
	if got := e.srv.Controller().Stats().ByStatus["401"]; got != 2 {
		t.Errorf("emulator saw %d 401s, want 2 (the token must reach it)", got)
	}
	if _, err := e.adapter(t, emulatorToken).Chat(ctx, hello()); err != nil {
		t.Fatalf("right token: %v", err)
	}
}

// Without the emulator's certificate the TLS handshake fails: the token is
// never sent to an unverified server, and there is no plaintext fallback.
func TestUntrustedCertificate(t *testing.T) {
	e := startEmulator(t, emukit.Options{})
	d := e.deployment(t, emulatorToken)
	d.Options = optionsNode(t, "project: "+testProject+"\nendpoint: "+e.endpoint+"\n")
	a, err := newAdapter(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = a.Chat(ctx, hello())
	if err == nil || gwerr.KindOf(err) == gwerr.InvalidRequest {
		t.Fatalf("untrusted server answered: %v", err)
	}
	if n := e.srv.Controller().Stats().Requests; n != 0 {
		t.Errorf("emulator counted %d requests through an unverified connection", n)
	}
}
