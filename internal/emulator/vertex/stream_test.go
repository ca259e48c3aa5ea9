package vertex

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/aiplatform/apiv1/aiplatformpb"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/emukit/emutest"
)

// The SSE bytes arrive split at arbitrary offsets: the messages joined are
// Mistral's transcript (golden), and across seeds some message boundary
// falls inside an event and some message holds the end of one event and
// the start of the next.
func TestStreamSplitsAtArbitraryBytes(t *testing.T) {
	var insideEvent, straddles bool
	var first []byte
	for seed := int64(1); seed <= 6; seed++ {
		e := start(t, emukit.Options{Seed: seed})
		msgs, err := e.stream(t, ok(helloStream))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		joined := bytes.Join(msgs, nil)
		if first == nil {
			first = joined
			emutest.Golden(t, filepath.Join("testdata", "stream.golden"), joined, *update)
		} else if !bytes.Equal(joined, first) {
			t.Errorf("seed %d: transcript differs", seed)
		}
		if emutest.Events(joined) < 3 || !bytes.HasSuffix(joined, []byte("data: [DONE]\n\n")) {
			t.Fatalf("seed %d: not a complete Mistral stream:\n%s", seed, joined)
		}
		for _, m := range msgs {
			if !bytes.HasSuffix(m, []byte("\n\n")) {
				insideEvent = true
			}
			if i := bytes.Index(m, []byte("\n\ndata: ")); i >= 0 && !bytes.HasPrefix(m, []byte("data: ")) {
				straddles = true
			}
		}
	}
	if !insideEvent || !straddles {
		t.Errorf("splits too tame: a message ends inside an event %v, a message straddles two events %v", insideEvent, straddles)
	}
}

// Stream behaviours: a cut after some data is UNAVAILABLE (a reset
// connection), a missing [DONE] ends with OK, a stall holds until the
// client's deadline, a slow first message is slow.
func TestStreamBehaviours(t *testing.T) {
	t.Run("cut", func(t *testing.T) {
		e := start(t, emukit.Options{Faults: emukit.Faults{CutAfter: emukit.After(2)}})
		msgs, err := e.stream(t, ok(helloStream))
		if status.Code(err) != codes.Unavailable || len(msgs) == 0 {
			t.Errorf("cut: %d messages, %v; want data then UNAVAILABLE", len(msgs), err)
		}
	})
	t.Run("no done", func(t *testing.T) {
		e := start(t, emukit.Options{Faults: emukit.Faults{NoDone: true}})
		msgs, err := e.stream(t, ok(helloStream))
		if err != nil || bytes.Contains(bytes.Join(msgs, nil), []byte("[DONE]")) {
			t.Errorf("no done: %v, transcript has [DONE]: %v", err, bytes.Contains(bytes.Join(msgs, nil), []byte("[DONE]")))
		}
	})
	t.Run("stall", func(t *testing.T) {
		e := start(t, emukit.Options{Faults: emukit.Faults{StallAfter: emukit.After(1)}})
		ctx, cancel := context.WithTimeout(ok("").ctx(t), 300*time.Millisecond)
		defer cancel()
		st, err := e.client.StreamRawPredict(ctx, &aiplatformpb.StreamRawPredictRequest{Endpoint: testResource,
			HttpBody: &httpbody.HttpBody{ContentType: "application/json", Data: []byte(helloStream)}})
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for {
			m, err := st.Recv()
			if err != nil {
				if status.Code(err) != codes.DeadlineExceeded {
					t.Errorf("stall ended with %v, want DEADLINE_EXCEEDED", err)
				}
				break
			}
			got = append(got, m.GetData()...)
		}
		if emutest.Events(got) != 1 {
			t.Errorf("stall: %d events before the stall, want 1", emutest.Events(got))
		}
	})
	t.Run("first token delay", func(t *testing.T) {
		e := start(t, emukit.Options{Faults: emukit.Faults{FirstTokenDelay: emukit.Duration(150 * time.Millisecond)}})
		begin := time.Now()
		if _, err := e.stream(t, ok(helloStream)); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(begin); d < 150*time.Millisecond {
			t.Errorf("answered in %v, want at least the 150ms delay", d)
		}
	})
	t.Run("in-band error", func(t *testing.T) {
		e := start(t, emukit.Options{Faults: emukit.Faults{InBandErrorAfter: emukit.After(2)}})
		msgs, err := e.stream(t, ok(helloStream))
		if err != nil || !bytes.Contains(bytes.Join(msgs, nil), []byte(`"finish_reason":"error"`)) {
			t.Errorf("in-band error: %v, transcript lacks finish_reason error", err)
		}
	})
}

// The API is TLS only: a plaintext gRPC client gets nowhere, so no token
// is ever accepted in the clear.
func TestTLSOnly(t *testing.T) {
	srv := New(emukit.Options{APIKey: token})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeAPI(ln) }()
	defer srv.Close()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = aiplatformpb.NewPredictionServiceClient(conn).RawPredict(ok(hello).ctx(t), &aiplatformpb.RawPredictRequest{Endpoint: testResource,
		HttpBody: &httpbody.HttpBody{ContentType: "application/json", Data: []byte(hello)}})
	if status.Code(err) != codes.Unavailable {
		t.Errorf("plaintext call: %v, want UNAVAILABLE (no TLS handshake)", err)
	}
	if n := srv.Controller().Stats().Requests; n != 0 {
		t.Errorf("%d requests counted over plaintext", n)
	}
	if !strings.Contains(string(srv.CAPEM()), "BEGIN CERTIFICATE") {
		t.Error("CAPEM is not PEM")
	}
}
