package responsestore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/responsestore"
	"github.com/windrose-gw/windrose/internal/state/redistest"
)

// The Redis store behaves like the memory one: scoped, deletable, expiring,
// and shared by two replicas (two stores on one server).
func TestRedis(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	a := responsestore.NewRedis(srv.Client(), "windrose:", time.Second)
	b := responsestore.NewRedis(srv.Client(), "windrose:", time.Second)
	if err := a.Put(ctx, "key:team-a", "resp_1", []byte(`{"id":"resp_1"}`)); err != nil {
		t.Fatal(err)
	}
	// Another replica reads it; another key's scope does not.
	if got, err := b.Get(ctx, "key:team-a", "resp_1"); err != nil || string(got) != `{"id":"resp_1"}` {
		t.Fatalf("replica b: %q, %v", got, err)
	}
	if _, err := b.Get(ctx, "key:team-b", "resp_1"); !errors.Is(err, responsestore.ErrNotFound) {
		t.Fatalf("other scope: %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, "key:team-b", "resp_1"); !errors.Is(err, responsestore.ErrNotFound) {
		t.Fatalf("delete from other scope: %v", err)
	}
	if err := b.Delete(ctx, "key:team-a", "resp_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "key:team-a", "resp_1"); !errors.Is(err, responsestore.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	// Entries expire with the TTL.
	if err := a.Put(ctx, "key:team-a", "resp_2", []byte("x")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := a.Get(ctx, "key:team-a", "resp_2"); !errors.Is(err, responsestore.ErrNotFound) {
		t.Fatalf("after the TTL: %v", err)
	}
}
