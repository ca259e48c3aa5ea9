package server

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/windrose-gw/windrose/internal/catalog"
	"github.com/windrose-gw/windrose/internal/keys"
)

// Snapshot is the part of the config a reload swaps as a whole: the routes
// (catalog) and the client keys. A request takes the snapshot current when
// it starts and keeps it to its end, streams included; a reload never
// changes what a running request sees.
type Snapshot struct {
	Catalog *catalog.Catalog
	Keys    *keys.Set
	// Drained, when set, runs once, after the snapshot was replaced and the
	// last request that held it ended: the time to close its adapters.
	Drained func()

	refs    atomic.Int64
	retired atomic.Bool
	once    sync.Once
}

func (sn *Snapshot) release() {
	if sn.refs.Add(-1) == 0 && sn.retired.Load() {
		sn.drained()
	}
}

func (sn *Snapshot) retire() {
	sn.retired.Store(true)
	if sn.refs.Load() == 0 {
		sn.drained()
	}
}

func (sn *Snapshot) drained() {
	sn.once.Do(func() {
		if sn.Drained != nil {
			sn.Drained()
		}
	})
}

// acquire returns the current snapshot, held until release. A snapshot
// swapped out between the load and the hold is let go and the new one
// taken, so a retired snapshot never gains a request after it drained.
func (s *Server) acquire() *Snapshot {
	for {
		sn := s.snap.Load()
		sn.refs.Add(1)
		if s.snap.Load() == sn {
			return sn
		}
		sn.release()
	}
}

// Swap makes sn the snapshot new requests get; the old one drains.
func (s *Server) Swap(sn *Snapshot) {
	if old := s.snap.Swap(sn); old != nil {
		old.retire()
	}
}

// Current returns the snapshot new requests get.
func (s *Server) Current() *Snapshot { return s.snap.Load() }

// snapOf returns the snapshot a request holds (the current one outside a
// request).
func (s *Server) snapOf(ctx context.Context) *Snapshot {
	if info := infoOf(ctx); info != nil && info.snap != nil {
		return info.snap
	}
	return s.snap.Load()
}
