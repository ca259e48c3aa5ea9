package watsonx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/watsonx"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// The IBM SDK's token fetch runs under one process-wide mutex and its
// refresh in a goroutine it starts itself, so these tests share nothing
// between emulators, never run in parallel with a hung IAM, and wait for
// background refreshes by polling the emulator's counters.

// iamEmulator serves a watsonx emulator whose IAM behaves as cfg says.
func iamEmulator(t *testing.T, cfg watsonx.IAM) (*watsonx.Server, string) {
	t.Helper()
	s := watsonx.NewWithIAM(emukit.Options{APIKey: emulatorKey}, cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func hello() *llm.ChatRequest {
	return &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hello"}}}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond for up to 5s: the SDK refreshes in its own goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// One token serves many calls: the SDK caches it.
func TestIAMFetchAndCache(t *testing.T) {
	emu, root := iamEmulator(t, watsonx.IAM{})
	p := newAdapter(t, root, emulatorKey)
	for i := 0; i < 5; i++ {
		if _, err := p.Chat(ctxFor(t, 10*time.Second), hello()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	s, err := p.ChatStream(ctxFor(t, 10*time.Second), hello())
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if st := emu.IAMStats(); st.TokenRequests != 1 || st.LastToken != 1 {
		t.Errorf("stats = %+v, want one token request serving every call", st)
	}
}

// Many calls on a cold adapter at once make exactly one token request.
func TestIAMOneFetchForConcurrentCalls(t *testing.T) {
	emu, root := iamEmulator(t, watsonx.IAM{})
	p := newAdapter(t, root, emulatorKey)
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := p.Chat(ctxFor(t, 10*time.Second), hello())
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := emu.IAMStats(); st.TokenRequests != 1 {
		t.Errorf("token requests = %d for %d concurrent calls, want 1", st.TokenRequests, n)
	}
}

// A token whose expires_in is long but whose expiration is near is due for
// refresh at once (the SDK refreshes once 20% of expires_in remains): the
// next call starts a background refresh and later calls use the new token,
// while the old one is still good.
func TestIAMBackgroundRefresh(t *testing.T) {
	emu, root := iamEmulator(t, watsonx.IAM{TokenLifetime: emukit.Duration(time.Minute), ExpiresIn: emukit.Duration(time.Hour)})
	p := newAdapter(t, root, emulatorKey)
	if _, err := p.Chat(ctxFor(t, 10*time.Second), hello()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Chat(ctxFor(t, 10*time.Second), hello()); err != nil {
		t.Fatal(err)
	}
	// The refreshed token lands in the SDK's cache a moment after IAM
	// issued it; calls keep using the old one until then.
	waitFor(t, "a call with the refreshed token", func() bool {
		if _, err := p.Chat(ctxFor(t, 10*time.Second), hello()); err != nil {
			t.Fatal(err)
		}
		return emu.IAMStats().LastToken >= 2
	})
	if st := emu.IAMStats(); st.Expired != 0 || st.Unknown != 0 {
		t.Errorf("stats = %+v, want the refreshed token in use and no rejected token", st)
	}
}

// With an honest, short lifetime the SDK stops using a token 10s before its
// expiration and fetches a new one: watsonx never sees an expired token.
func TestIAMNeverSendsExpiredToken(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about two seconds")
	}
	emu, root := iamEmulator(t, watsonx.IAM{TokenLifetime: emukit.Duration(11 * time.Second)})
	p := newAdapter(t, root, emulatorKey)
	for end := time.Now().Add(2100 * time.Millisecond); time.Now().Before(end); time.Sleep(40 * time.Millisecond) {
		if _, err := p.Chat(ctxFor(t, 10*time.Second), hello()); err != nil {
			t.Fatal(err)
		}
	}
	st := emu.IAMStats()
	if st.TokenRequests < 2 {
		t.Errorf("token requests = %d over two seconds of 1s-valid tokens, want a refetch", st.TokenRequests)
	}
	if st.Expired != 0 || st.Unknown != 0 {
		t.Errorf("stats = %+v: an expired or unknown token reached watsonx", st)
	}
}

// A token the service rejects as expired (IAM promised an hour, the token
// lasted 300ms) is fetched anew once and the request succeeds, streamed or
// not.
func TestIAMExpiredTokenRefetchedOnce(t *testing.T) {
	emu, root := iamEmulator(t, watsonx.IAM{TokenLifetime: emukit.Duration(300 * time.Millisecond),
		AdvertisedLifetime: emukit.Duration(time.Hour)})
	p := newAdapter(t, root, emulatorKey)
	if _, err := p.Chat(ctxFor(t, 10*time.Second), hello()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(350 * time.Millisecond)
	if _, err := p.Chat(ctxFor(t, 10*time.Second), hello()); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	time.Sleep(350 * time.Millisecond)
	s, err := p.ChatStream(ctxFor(t, 10*time.Second), hello())
	if err != nil {
		t.Fatalf("stream after expiry: %v", err)
	}
	_ = s.Close()
	if st := emu.IAMStats(); st.TokenRequests != 3 || st.Expired != 2 || st.LastToken != 3 {
		t.Errorf("stats = %+v, want 3 token requests, 2 expired tokens seen, token 3 in use", st)
	}
}

// Tokens that are dead on arrival: one refetch, then Auth for the
// deployment, never a loop.
func TestIAMRefetchOnlyOnce(t *testing.T) {
	emu, root := iamEmulator(t, watsonx.IAM{TokenLifetime: emukit.Duration(time.Nanosecond),
		AdvertisedLifetime: emukit.Duration(time.Hour)})
	p := newAdapter(t, root, emulatorKey)
	_, err := p.Chat(ctxFor(t, 10*time.Second), hello())
	if e := gwerr.As(err); err == nil || e.Kind != gwerr.Auth || e.Status != http.StatusUnauthorized ||
		!strings.Contains(e.Message, "authentication_token_expired") {
		t.Fatalf("err = %v, want Auth 401 authentication_token_expired", err)
	}
	if st := emu.IAMStats(); st.TokenRequests != 2 || st.Expired != 2 {
		t.Errorf("stats = %+v, want exactly one refetch", st)
	}
}

// A wrong API key is the deployment's Auth failure with IAM's status and
// message, and the key never shows.
func TestIAMWrongKey(t *testing.T) {
	emu, root := iamEmulator(t, watsonx.IAM{})
	const wrong = "wrong-key-4f9a1c"
	p := newAdapter(t, root, wrong)
	_, err := p.Chat(ctxFor(t, 10*time.Second), hello())
	e := gwerr.As(err)
	if err == nil || e.Kind != gwerr.Auth || e.Status != http.StatusBadRequest || !strings.Contains(e.Message, "API key could not be found") {
		t.Fatalf("err = %v (status %d), want Auth 400 naming the unknown key", err, e.Status)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("the key leaked: %v", err)
	}
	if st := emu.IAMStats(); st.Issued != 0 || st.Unknown != 0 {
		t.Errorf("stats = %+v: no token should be issued or sent", st)
	}
}

// A hung IAM does not hang the request past its deadline. The SDK's fetch
// holds its process-wide lock until the IAM answers, so the test releases
// the handler before it returns.
func TestIAMHungTokenServiceHonoursDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	p := newAdapter(t, srv.URL, emulatorKey)
	start := time.Now()
	_, err := p.Chat(ctxFor(t, 150*time.Millisecond), hello())
	if gwerr.KindOf(err) != gwerr.Timeout {
		t.Errorf("err = %v, want Timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v, want about the deadline", d)
	}
}

// Many calls that all hit the same expired token swap the authenticator
// once and fetch one new token between them.
func TestIAMConcurrentExpiryOneRefetch(t *testing.T) {
	emu, root := iamEmulator(t, watsonx.IAM{TokenLifetime: emukit.Duration(300 * time.Millisecond),
		AdvertisedLifetime: emukit.Duration(time.Hour)})
	p := newAdapter(t, root, emulatorKey)
	if _, err := p.Chat(ctxFor(t, 10*time.Second), hello()); err != nil {
		t.Fatal(err)
	}
	emu.SetIAM(watsonx.IAM{}) // the next token is honest and long-lived
	time.Sleep(350 * time.Millisecond)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Chat(ctxFor(t, 10*time.Second), hello())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := emu.IAMStats(); st.TokenRequests != 2 || st.LastToken != 2 {
		t.Errorf("stats = %+v, want exactly one refetch for %d calls", st, n)
	}
}
