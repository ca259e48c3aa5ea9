package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// UnmarshalYAML decodes a Go duration string such as "30s", "2m" or "1h30m".
// A bare number is rejected: "30" could mean seconds or nanoseconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("must be a duration such as 30s")
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want a duration such as 30s or 2m)", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string such as "30s".
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// String returns the duration as "30s".
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML decodes "auto" or a Go duration.
func (f *FirstTokenTimeout) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && strings.EqualFold(strings.TrimSpace(n.Value), "auto") {
		*f = FirstTokenTimeout{Auto: true}
		return nil
	}
	var d Duration
	if err := d.UnmarshalYAML(n); err != nil {
		return errors.New(`must be "auto" or a duration such as 30s`)
	}
	*f = FirstTokenTimeout{Fixed: d}
	return nil
}

// MarshalYAML writes "auto" or the duration.
func (f FirstTokenTimeout) MarshalYAML() (any, error) {
	if f.Auto {
		return "auto", nil
	}
	return f.Fixed.String(), nil
}

// byteUnits maps a unit suffix (lower-cased) to its multiplier. KB, MB and
// GB are decimal (SI), KiB, MiB and GiB binary (IEC).
func byteUnit(u string) (int64, bool) {
	switch strings.ToLower(u) {
	case "", "b":
		return 1, true
	case "kb":
		return 1000, true
	case "mb":
		return 1000 * 1000, true
	case "gb":
		return 1000 * 1000 * 1000, true
	case "kib":
		return 1 << 10, true
	case "mib":
		return 1 << 20, true
	case "gib":
		return 1 << 30, true
	}
	return 0, false
}

// ParseByteSize parses "4MiB", "512KiB", "1GiB", "1MB", "1KB", "100B" or a
// plain number of bytes. Units are case-insensitive; KB/MB/GB are powers of
// 1000 and KiB/MiB/GiB powers of 1024. The number must be a non-negative
// integer.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	mult, ok := byteUnit(unit)
	if num == "" || !ok {
		return 0, fmt.Errorf("invalid size %q (want a number of bytes or a size such as 4MiB, 512KiB, 1MB)", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return ByteSize(n * mult), nil
}

// UnmarshalYAML decodes a size; see ParseByteSize.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("must be a size such as 4MiB")
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// String writes the size with the largest binary unit that divides it
// exactly ("4MiB"), or as a plain number of bytes.
func (b ByteSize) String() string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.size == 0 {
			return strconv.FormatInt(int64(b)/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalYAML writes the size as String does.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// UnmarshalYAML decodes a secret from a scalar. The value never appears in
// an error.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("must be a string")
	}
	if n.ShortTag() == "!!null" {
		*s = ""
		return nil
	}
	*s = Secret(n.Value)
	return nil
}
