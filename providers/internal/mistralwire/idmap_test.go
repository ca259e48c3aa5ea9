package mistralwire

import (
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
)

// NewIDMap must rewrite exactly as EncodeRequest does, so an adapter with
// its own wire body sends the same ids across turns as La Plateforme's.
func TestNewIDMapMatchesEncodeRequest(t *testing.T) {
	conv := conversation()
	ids := NewIDMap(conv)
	_, want, err := EncodeRequest(&llm.ChatRequest{Messages: conv}, "m", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, orig := range []string{"call_0fypS1hVXabcdefghij", "toolu_01A09q90qw90lq917835lq9", "Ab3dE6gH9"} {
		if got, w := ids.Rewrite(orig), want.Rewrite(orig); got != w || !ValidID(got) {
			t.Errorf("%q → %q, EncodeRequest gives %q", orig, got, w)
		}
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"Ab3dE6gH9", true},                   // nine alphanumerics
		{"call_0fyp", false},                  // underscore
		{"Ab3dE6gH", false},                   // eight
		{"Ab3dE6gH90", false},                 // ten
		{"", false},                           // empty
		{"Ab3dé6gH9", false},                  // non-ASCII letter
		{"call_abc123XYZdef456GHI789", false}, // OpenAI style
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
