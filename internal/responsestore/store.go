// Package responsestore keeps stored Responses API responses, so that
// GET /v1/responses/{id} and previous_response_id work. The interface is
// deliberately small: a Redis backend only has to map three calls onto
// SET EX, GET and DEL.
package responsestore

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// ErrNotFound is returned for an id that was never stored, has expired, was
// deleted, or belongs to another scope: a client cannot tell those apart.
var ErrNotFound = errors.New("response not found")

// Store keeps opaque values by (scope, id). The scope is the client key's
// identity; an id stored under one scope does not exist under another.
// Implementations are safe for concurrent use.
type Store interface {
	Put(ctx context.Context, scope, id string, value []byte) error
	Get(ctx context.Context, scope, id string) ([]byte, error)
	Delete(ctx context.Context, scope, id string) error
}

// Memory is an in-process Store with a TTL and a bound on the bytes it
// holds; when full it drops the oldest entries first.
type Memory struct {
	ttl      time.Duration
	maxBytes int
	now      func() time.Time

	mu    sync.Mutex
	byKey map[string]*list.Element
	order *list.List // of *entry, oldest first (one TTL: also soonest to expire)
	bytes int
}

type entry struct {
	key     string
	value   []byte
	expires time.Time
}

// NewMemory returns a Memory store. ttl must be > 0, maxBytes > 0; now is
// the clock (nil: time.Now).
func NewMemory(ttl time.Duration, maxBytes int, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{ttl: ttl, maxBytes: maxBytes, now: now, byKey: map[string]*list.Element{}, order: list.New()}
}

func key(scope, id string) string { return scope + "\x00" + id }

// Put stores value (which the store then owns) under (scope, id),
// replacing any earlier value. A value larger than the whole bound is not
// kept.
func (m *Memory) Put(_ context.Context, scope, id string, value []byte) error {
	k := key(scope, id)
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.byKey[k]; ok {
		m.remove(el)
	}
	if len(value)+len(k) > m.maxBytes {
		return nil
	}
	m.byKey[k] = m.order.PushBack(&entry{key: k, value: value, expires: now.Add(m.ttl)})
	m.bytes += len(value) + len(k)
	for m.bytes > m.maxBytes {
		m.remove(m.order.Front())
	}
	m.expire(now)
	return nil
}

// Get returns the value under (scope, id).
func (m *Memory) Get(_ context.Context, scope, id string) ([]byte, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	el, ok := m.byKey[key(scope, id)]
	if !ok {
		return nil, ErrNotFound
	}
	return el.Value.(*entry).value, nil
}

// Delete removes (scope, id).
func (m *Memory) Delete(_ context.Context, scope, id string) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	el, ok := m.byKey[key(scope, id)]
	if !ok {
		return ErrNotFound
	}
	m.remove(el)
	return nil
}

// Len returns the number of live entries.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	return m.order.Len()
}

// expire drops entries whose TTL has passed; they are at the front.
func (m *Memory) expire(now time.Time) {
	for el := m.order.Front(); el != nil && !now.Before(el.Value.(*entry).expires); el = m.order.Front() {
		m.remove(el)
	}
}

func (m *Memory) remove(el *list.Element) {
	e := m.order.Remove(el).(*entry)
	delete(m.byKey, e.key)
	m.bytes -= len(e.value) + len(e.key)
}
