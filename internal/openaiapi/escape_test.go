package openaiapi

import (
	"math"
	"testing"
)

func TestAppendString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Nothing to escape: the fast path copies as is.
		{"plain", "hello world", `"hello world"`},
		{"empty", "", `""`},
		// JSON's mandatory escapes, with the short forms where JSON has them.
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"short escapes", "\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"other controls", "\x00\x1f", `"\u0000\u001f"`},
		// DEL and HTML characters are legal raw and stay raw.
		{"del and html", "\x7f<>&", "\"\x7f<>&\""},
		// Multibyte UTF-8 is copied, not escaped.
		{"utf8", "é😀", `"é😀"`},
		// Each invalid byte becomes U+FFFD, as encoding/json does.
		{"invalid utf8", "a\xffb\xe2\x82", "\"a\ufffdb\ufffd\ufffd\""},
		{"literal replacement char", "\ufffd", "\"\ufffd\""},
		// Line and paragraph separators break JavaScript string literals.
		{"js separators", "\u2028\u2029", `"\u2028\u2029"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendString(nil, tt.in)); got != tt.want {
				t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.7, "0.7"},         // shortest form, no float noise
		{2, "2"},             // integral values without a fraction
		{1e-7, "1e-07"},      // exponents are valid JSON numbers
		{math.NaN(), "null"}, // JSON has no NaN
		{math.Inf(1), "null"},
	}
	for _, tt := range tests {
		if got := string(appendFloat(nil, tt.in)); got != tt.want {
			t.Errorf("appendFloat(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
