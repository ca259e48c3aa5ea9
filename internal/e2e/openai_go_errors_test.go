package e2e

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// callErr makes p's request, streamed or not, and returns its error.
func callErr(t *testing.T, env *Env, p openai.ChatCompletionNewParams, streaming bool, opts ...option.RequestOption) error {
	t.Helper()
	if streaming {
		return stream(t, env, p, opts...).err
	}
	client := newClient(env)
	_, err := client.Chat.Completions.New(withTimeout(t), p, opts...)
	return err
}

// apiError returns err as the SDK's *openai.Error, failing the test when it
// is something else (a transport error, a timeout, or no error at all).
func apiError(t *testing.T, err error) *openai.Error {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("got error %v (%T), want an *openai.Error", err, err)
	}
	return apiErr
}

func upstreamRequests(t *testing.T, env *Env) int {
	n := 0
	for _, name := range env.EmuNames() {
		n += env.Emu(name).Requests(t)
	}
	return n
}

// TestRequestErrors checks the gateway's own refusals: the SDK must see
// OpenAI's error types, and no provider may be called for them.
func TestRequestErrors(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	unknown := ask("hello")
	unknown.Model = "no-such-model"
	hot := ask("hello")
	hot.Temperature = openai.Float(5)
	tests := []struct {
		name   string
		params openai.ChatCompletionNewParams
		status int
		want   openai.Error // compared on Type, Code and Param
	}{
		// A model the config does not serve is OpenAI's model_not_found.
		{"unknown model", unknown, 404, openai.Error{Type: "invalid_request_error", Code: "model_not_found"}},
		// Out-of-range sampling is refused up front, naming the field.
		{"temperature 5", hot, 400, openai.Error{Type: "invalid_request_error", Param: "temperature"}},
	}
	for _, tt := range tests {
		for _, streaming := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, streaming), func(t *testing.T) {
				before := upstreamRequests(t, env)
				p := tt.params
				if streaming {
					p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
				}
				e := apiError(t, callErr(t, env, p, streaming))
				if e.StatusCode != tt.status || e.Type != tt.want.Type || e.Code != tt.want.Code ||
					tt.want.Param != "" && e.Param != tt.want.Param || e.Message == "" {
					t.Errorf("got %d %s, want %d with type %q, code %q, param %q and a message",
						e.StatusCode, e.RawJSON(), tt.status, tt.want.Type, tt.want.Code, tt.want.Param)
				}
				if after := upstreamRequests(t, env); after != before {
					t.Errorf("emulators saw %d requests for a request the gateway must refuse itself", after-before)
				}
			})
		}
	}
}

// TestAllDeploymentsFail checks that when every deployment answers 500 the
// client gets a prompt 5xx in OpenAI's format, after the gateway tried
// both, and never a hang or a transport error.
func TestAllDeploymentsFail(t *testing.T) {
	t.Parallel()
	// Two deployments, so that the default three attempts reach both.
	env := Start(t, mistralAndOpenRouter)
	both := []string{"mistral", "openrouter"}
	for _, dep := range both {
		env.Emu(dep).SetFaults(t, `{"status": 500}`)
	}
	for _, streaming := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", streaming), func(t *testing.T) {
			e := apiError(t, callErr(t, env, ask("is anyone there?"), streaming))
			if e.StatusCode < 500 || e.StatusCode > 599 || e.Message == "" {
				t.Errorf("got %d %s, want a 5xx with a message", e.StatusCode, e.RawJSON())
			}
		})
	}
	for _, dep := range both {
		if n := env.Emu(dep).Requests(t); n == 0 {
			t.Errorf("deployment %s was never tried: no failover happened", dep)
		}
	}
}

// TestBrokenStream checks that a stream which breaks after content has
// reached the client never looks like a clean end to the SDK: the gateway
// must send an error event or drop the connection, and what did arrive must
// be a true prefix of the answer.
func TestBrokenStream(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	p := ask("Tell me a long story about a compass rose")
	want := map[string]string{}
	for _, dep := range deployments {
		// Baselines first, while every deployment is healthy.
		out, _ := complete(t, env, p, pin(dep)...)
		want[dep] = out.Choices[0].Message.Content
	}
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	faults := []struct{ name, json string }{
		// The connection drops mid-stream.
		{"cut", `{"cut_after": 2}`},
		// The provider reports an error inside a 200 stream.
		{"in-band error", `{"in_band_error_after": 2}`},
		// A line that is not JSON arrives mid-stream.
		{"malformed", `{"malformed_after": 2}`},
	}
	for _, dep := range deployments {
		for _, f := range faults {
			t.Run(dep+"/"+f.name, func(t *testing.T) {
				env.Emu(dep).SetFaults(t, f.json)
				defer env.Emu(dep).ClearFaults(t)
				got := stream(t, env, p, pin(dep)...)
				if got.err == nil {
					t.Fatalf("stream ended cleanly after %d chunks; want an error", got.chunks)
				}
				t.Logf("%d chunks, then: %s", got.chunks, describe(got.err))
				if len(got.acc.Choices) > 0 && !strings.HasPrefix(want[dep], got.acc.Choices[0].Message.Content) {
					t.Errorf("content before the break %q is not a prefix of %q",
						got.acc.Choices[0].Message.Content, want[dep])
				}
			})
		}
	}
}
