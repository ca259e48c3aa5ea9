package responsestore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// clock is a hand-set time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestMemory checks the store's contract step by step on one clock.
func TestMemory(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Unix(1000, 0)}
	m := NewMemory(time.Minute, 1<<20, c.now)
	get := func(scope, id string) string {
		v, err := m.Get(ctx, scope, id)
		if errors.Is(err, ErrNotFound) {
			return "<none>"
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	_ = m.Put(ctx, "alice", "r1", []byte("one"))
	steps := []struct {
		name      string
		do        func()
		scope, id string
		want      string
	}{
		// What was put is there for its owner.
		{"owner reads", func() {}, "alice", "r1", "one"},
		// Another key's scope does not see it: same answer as a missing id.
		{"other scope", func() {}, "bob", "r1", "<none>"},
		// Just before the TTL it is still there.
		{"before ttl", func() { c.t = c.t.Add(59 * time.Second) }, "alice", "r1", "one"},
		// At the TTL it is gone.
		{"at ttl", func() { c.t = c.t.Add(time.Second) }, "alice", "r1", "<none>"},
		// A put replaces, and delete removes.
		{"replace", func() { _ = m.Put(ctx, "alice", "r2", []byte("a")); _ = m.Put(ctx, "alice", "r2", []byte("b")) }, "alice", "r2", "b"},
		{"delete", func() {
			if err := m.Delete(ctx, "alice", "r2"); err != nil {
				t.Fatal(err)
			}
		}, "alice", "r2", "<none>"},
	}
	for _, s := range steps {
		s.do()
		if got := get(s.scope, s.id); got != s.want {
			t.Errorf("%s: Get(%s, %s) = %s, want %s", s.name, s.scope, s.id, got, s.want)
		}
	}
	if err := m.Delete(ctx, "alice", "r2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete = %v, want ErrNotFound", err)
	}
	if err := m.Delete(ctx, "bob", "r1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete from another scope = %v, want ErrNotFound", err)
	}
}

// TestMemoryBound checks the byte bound drops the oldest entries first
// and never keeps a value larger than the bound.
func TestMemoryBound(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(time.Hour, 100, nil)
	for i := range 10 {
		_ = m.Put(ctx, "s", fmt.Sprintf("r%d", i), make([]byte, 20)) // 20 + len("s\x00rN") = 24 bytes each
	}
	if m.Len() != 4 || m.bytes > 100 {
		t.Fatalf("%d entries, %d bytes; want the 4 newest within 100 bytes", m.Len(), m.bytes)
	}
	if _, err := m.Get(ctx, "s", "r5"); !errors.Is(err, ErrNotFound) {
		t.Errorf("r5 still there: the oldest should go first")
	}
	if _, err := m.Get(ctx, "s", "r9"); err != nil {
		t.Errorf("r9 (newest) = %v", err)
	}
	_ = m.Put(ctx, "s", "huge", make([]byte, 200))
	if _, err := m.Get(ctx, "s", "huge"); !errors.Is(err, ErrNotFound) || m.Len() != 4 {
		t.Errorf("a value over the bound was kept or evicted others (%d entries)", m.Len())
	}
}

// TestMemoryConcurrent runs puts, gets and deletes at once (under -race).
func TestMemoryConcurrent(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(time.Hour, 1<<16, nil)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				id := fmt.Sprintf("%d-%d", g, i%10)
				_ = m.Put(ctx, "s", id, []byte(id))
				if v, err := m.Get(ctx, "s", id); err == nil && string(v) != id {
					t.Errorf("Get(%s) = %s", id, v)
				}
				_ = m.Delete(ctx, "s", id)
			}
		}()
	}
	for range 4 {
		<-done
	}
}
