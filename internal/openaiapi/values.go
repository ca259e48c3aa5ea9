package openaiapi

import "strconv"

// Typed readers for one value each. A JSON null reads as the zero value (or
// nil for optional fields): clients that serialise unset fields as null mean
// "not set". Errors carry a relative param ("") that callers prefix.

// string reads a string.
func (d *decoder) string() (string, error) {
	switch d.ws() {
	case '"':
		return d.str()
	case 'n':
		if d.null() {
			return "", nil
		}
	}
	return "", typeError("a string", d.kind())
}

// flag reads a boolean.
func (d *decoder) flag() (bool, error) {
	if d.null() {
		return false, nil
	}
	if v, ok := d.boolean(); ok {
		return v, nil
	}
	return false, typeError("a boolean", d.kind())
}

// optBool reads an optional boolean.
func (d *decoder) optBool() (*bool, error) {
	if d.null() {
		return nil, nil
	}
	v, ok := d.boolean()
	if !ok {
		return nil, typeError("a boolean", d.kind())
	}
	return &v, nil
}

// isNumber reports whether the next value starts like a number.
func (d *decoder) isNumber() bool {
	c := d.ws()
	return c == '-' || (c >= '0' && c <= '9')
}

// optFloat reads an optional number that must lie in [lo, hi].
func (d *decoder) optFloat(lo, hi float64) (*float64, error) {
	if d.null() {
		return nil, nil
	}
	if !d.isNumber() {
		return nil, typeError("a number", d.kind())
	}
	start := d.pos
	f, err := d.float()
	if err == errRange || (err == nil && (f < lo || f > hi)) {
		return nil, invalid("", "expected a value between %g and %g, but got %s instead", lo, hi, d.src[start:d.pos])
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// optInt64 reads an optional integer.
func (d *decoder) optInt64() (*int64, error) {
	if d.null() {
		return nil, nil
	}
	if !d.isNumber() {
		return nil, typeError("an integer", d.kind())
	}
	start := d.pos
	n, err := d.integer()
	if err == errRange {
		return nil, invalid("", "expected a 64-bit integer, but got %s instead", d.src[start:d.pos])
	}
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// optInt reads an optional integer that must be at least lo.
func (d *decoder) optInt(lo int) (*int, error) {
	d.ws()
	start := d.pos
	p, err := d.optInt64()
	if p == nil || err != nil {
		return nil, err
	}
	n := int(*p)
	if int64(n) != *p || n < lo {
		return nil, invalid("", "expected an integer >= %s, but got %s instead", strconv.Itoa(lo), d.src[start:d.pos])
	}
	return &n, nil
}

// stop reads stop: one string or an array of strings.
func (d *decoder) stop() ([]string, error) {
	switch d.ws() {
	case '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	case '[':
		var out []string
		err := d.array(func(i int) error {
			if d.ws() != '"' {
				return atIndex(typeError("a string", d.kind()), i)
			}
			s, err := d.str()
			out = append(out, s)
			return err
		})
		return out, err
	}
	if d.null() {
		return nil, nil
	}
	return nil, typeError("a string or an array of strings", d.kind())
}

// metadata reads a map of strings.
func (d *decoder) metadata() (map[string]string, error) {
	if d.null() {
		return nil, nil
	}
	if d.ws() != '{' {
		return nil, typeError("an object of strings", d.kind())
	}
	var m map[string]string
	err := d.object(func(key string) error {
		if d.ws() != '"' {
			return at(typeError("a string", d.kind()), key)
		}
		v, err := d.str()
		if m == nil {
			m = make(map[string]string, 4)
		}
		m[key] = v
		return err
	})
	return m, err
}

// streamOptions reads stream_options and returns include_usage.
func (d *decoder) streamOptions() (bool, error) {
	if d.null() {
		return false, nil
	}
	if d.ws() != '{' {
		return false, typeError("an object", d.kind())
	}
	var include bool
	err := d.object(func(key string) error {
		if key != "include_usage" {
			_, _, err := d.skip(0)
			return err
		}
		var err error
		include, err = d.flag()
		return at(err, key)
	})
	return include, err
}
