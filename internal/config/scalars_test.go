package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
		err  bool
	}{
		// Binary units are what DESIGN.md writes (4MiB).
		{"4MiB", 4 << 20, false},
		{"512KiB", 512 << 10, false},
		{"1GiB", 1 << 30, false},
		// Decimal units are powers of 1000, not 1024.
		{"1MB", 1_000_000, false},
		{"1KB", 1000, false},
		{"100B", 100, false},
		{"4096", 4096, false},
		{"4 MiB", 4 << 20, false},
		{"4mib", 4 << 20, false},
		{"0", 0, false}, // parses; validation rejects it for max_body_bytes
		// Fractions, negatives, unknown units and overflow are errors.
		{"1.5MiB", 0, true},
		{"-1", 0, true},
		{"4 megs", 0, true},
		{"MiB", 0, true},
		{"", 0, true},
		{"99999999999GiB", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseByteSize(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("ParseByteSize(%q) error = %v, want error %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("ParseByteSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{4 << 20, "4MiB"}, {512 << 10, "512KiB"}, {1 << 30, "1GiB"},
		// Sizes no binary unit divides print as bytes, so they round-trip.
		{1_000_000, "1000000"}, {0, "0"}, {1536, "1536"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			back, err := ParseByteSize(tt.want)
			if err != nil || back != tt.in {
				t.Errorf("round trip: %d, %v", back, err)
			}
		})
	}
}

func TestDurationYAML(t *testing.T) {
	tests := []struct {
		in   string
		want Duration
		err  string
	}{
		{"30s", Duration(30 * time.Second), ""},
		{"1h30m", Duration(90 * time.Minute), ""},
		{"1500ms", Duration(1500 * time.Millisecond), ""},
		// A bare number is ambiguous and rejected.
		{"30", 0, `invalid duration "30" (want a duration such as 30s or 2m)`},
		{"soon", 0, `invalid duration "soon" (want a duration such as 30s or 2m)`},
		{"[1]", 0, "must be a duration such as 30s"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := yaml.Unmarshal([]byte(tt.in), &d)
			if diff := cmp.Diff(tt.err, errString(err)); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if d != tt.want {
				t.Errorf("got %v, want %v", d, tt.want)
			}
		})
	}
	out, err := yaml.Marshal(Duration(90 * time.Second))
	if err != nil || string(out) != "1m30s\n" {
		t.Errorf("Marshal = %q, %v", out, err)
	}
}

func TestSecretYAML(t *testing.T) {
	var s Secret
	if err := yaml.Unmarshal([]byte(`"k-123"`), &s); err != nil || s.Value() != "k-123" {
		t.Fatalf("got %q, %v", s.Value(), err)
	}
	// A secret prints redacted everywhere.
	if s.String() != "[redacted]" {
		t.Errorf("String() = %q", s.String())
	}
	out, err := yaml.Marshal(struct{ K Secret }{s})
	if err != nil || string(out) != "k: '[redacted]'\n" {
		t.Errorf("Marshal = %q, %v", out, err)
	}
	// A non-scalar is an error that does not echo the content.
	err = yaml.Unmarshal([]byte(`[k-123]`), &s)
	if diff := cmp.Diff("must be a string", errString(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// An empty value is no secret (and prints as nothing).
	var empty Secret
	if err := yaml.Unmarshal([]byte(`~`), &empty); err != nil || empty != "" || empty.String() != "" {
		t.Errorf("empty = %q, %v", empty, err)
	}
}
