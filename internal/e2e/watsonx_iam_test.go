package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWatsonxTokenExpiry drives the watsonx deployment through the gateway
// while its IAM hands out tokens that die long before the expiration they
// advertise: every request must still succeed, streamed or not, because the
// adapter fetches a fresh token once when watsonx says the old one expired,
// and the client never sees the IAM exchange at all.
func TestWatsonxTokenExpiry(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	emu := env.Emu("watsonx")
	resp, err := http.Post(emu.URL+"/_emulator/iam", "application/json",
		strings.NewReader(`{"token_lifetime":"1s","advertised_lifetime":"1h"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Each token lives 1s: long enough that a slow -race run never sees one
	// die between its fetch and its use, and each sleep outlives it.
	for i := 0; i < 3; i++ {
		if i > 0 {
			time.Sleep(1100 * time.Millisecond) // the last token has died
		}
		out, h := complete(t, env, ask("Say hello"), pin("watsonx")...)
		if h.Get("X-Windrose-Attempts") != "1" || out.Choices[0].Message.Content == "" {
			t.Fatalf("call %d: attempts %q, content %q", i, h.Get("X-Windrose-Attempts"), out.Choices[0].Message.Content)
		}
		time.Sleep(1100 * time.Millisecond)
		if got := stream(t, env, ask("Say hello"), pin("watsonx")...); got.err != nil || got.chunks == 0 {
			t.Fatalf("stream %d: %v after %d chunks", i, got.err, got.chunks)
		}
	}
	resp, err = http.Get(emu.URL + "/_emulator/iam")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		TokenRequests int `json:"token_requests"`
		Expired       int `json:"expired_tokens_seen"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	// Six requests, the first five of which found the previous token dead.
	if st.Expired != 5 || st.TokenRequests != 6 {
		t.Errorf("IAM stats %+v, want 5 expired tokens seen and 6 token requests", st)
	}
}
