package e2e

import (
	"testing"

	"github.com/windrose-gw/windrose/internal/e2e/fastupstream"
)

func TestDbgRelay(t *testing.T) {
	long := newRig(t, fastupstream.Options{Chunks: 257})
	for i := 0; i < 3; i++ {
		n, err := do(long.client, long.upstream.URL, overheadStreamBody)
		t.Logf("upstream %d %v", n, err)
		n, err = do(long.client, long.proxy.URL, overheadStreamBody)
		t.Logf("proxy %d %v", n, err)
		n, err = do(long.client, long.windrose.URL, overheadStreamBody)
		t.Logf("windrose %d %v", n, err)
	}
}
