package oaicompat

import (
	"bytes"
	"testing"
)

// hasCtl's word-at-a-time test agrees with a byte loop for every byte
// value at every position of a word, next to every other.
func TestHasCtl(t *testing.T) {
	for pos := range 9 {
		for c := range 256 {
			for _, fill := range []byte{' ', 0x7f, 0x80, 0xff, '"', '\\'} {
				b := bytes.Repeat([]byte{fill}, 11)
				b[pos] = byte(c)
				want := false
				for _, x := range b {
					want = want || x < 0x20
				}
				if got := hasCtl(b); got != want {
					t.Fatalf("hasCtl(%q) = %v", b, got)
				}
			}
		}
	}
}
