package providers

import (
	"errors"
	"fmt"
	"testing"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// The executor must find both the usage and the Kind through any wrapping.
func TestUsageOf(t *testing.T) {
	base := gwerr.New(gwerr.Upstream, "in-band")
	err := fmt.Errorf("attempt 2: %w", WithUsage(base, &llm.Usage{TotalTokens: 7}))
	if u := UsageOf(err); u == nil || u.TotalTokens != 7 {
		t.Errorf("UsageOf = %+v", u)
	}
	if gwerr.KindOf(err) != gwerr.Upstream || !errors.Is(err, base) {
		t.Errorf("kind lost: %v", err)
	}
	// No usage: nothing attached, error unchanged.
	if WithUsage(base, nil) != error(base) || UsageOf(base) != nil {
		t.Error("nil usage changed the error")
	}
}
