package config

import (
	"reflect"
	"strings"

	configfiles "github.com/windrose-gw/windrose/config"
)

// priceKey identifies a row of a price table.
type priceKey struct{ provider, model string }

// PriceTable maps (provider, model id) to a Price. The zero value is an
// empty table.
type PriceTable struct {
	prices map[priceKey]Price
}

// priceFile is the shape of config/prices.yaml: the same rows a config's
// own "prices:" list takes.
type priceFile struct {
	Prices []PriceEntry `yaml:"prices"`
}

// LoadPrices parses a price table in the format of config/prices.yaml:
//
//	prices:
//	  - { provider: mistral, model: mistral-medium-2508, input_per_mtok: 0.40, output_per_mtok: 2.00 }
//
// Decoding is strict and every row is checked (known provider, model set,
// prices >= 0, no duplicates); all problems are returned at once.
func LoadPrices(data []byte) (PriceTable, error) {
	root, ferr := parseDocument(data)
	if ferr != nil {
		return PriceTable{}, joinErrors([]*FieldError{ferr})
	}
	d := newDecoder()
	var f priceFile
	d.decode("", root, reflect.ValueOf(&f).Elem())
	if len(d.errs) > 0 {
		return PriceTable{}, joinErrors(d.errs)
	}
	var p problems
	validatePriceEntries(&p, "prices", f.Prices, DefaultProviders())
	for _, e := range p {
		e.Line = lineOf(e.Path, d.lines)
	}
	if len(p) > 0 {
		return PriceTable{}, joinErrors(p)
	}
	t := PriceTable{prices: make(map[priceKey]Price, len(f.Prices))}
	for _, r := range f.Prices {
		t.prices[priceKey{r.Provider, r.Model}] = Price{InputPerMTok: r.InputPerMTok, OutputPerMTok: r.OutputPerMTok}
	}
	return t, nil
}

// BuiltinPrices returns the table shipped in config/prices.yaml, embedded
// in the binary.
func BuiltinPrices() (PriceTable, error) { return LoadPrices(configfiles.Prices) }

// Lookup returns the price of model at provider. A Vertex-style version
// suffix ("mistral-medium-3@001") falls back to the unversioned id.
func (t PriceTable) Lookup(provider, model string) (Price, bool) {
	if p, ok := t.prices[priceKey{provider, model}]; ok {
		return p, true
	}
	if base, _, found := strings.Cut(model, "@"); found {
		p, ok := t.prices[priceKey{provider, base}]
		return p, ok
	}
	return Price{}, false
}

// Len returns the number of rows.
func (t PriceTable) Len() int { return len(t.prices) }

// PriceFor returns d's price: the deployment's own price wins, then the
// config's "prices:" rows, then t. ok is false when none knows it; cost is
// then reported as unknown, never guessed.
func (c *Config) PriceFor(d *Deployment, t PriceTable) (Price, bool) {
	if d.Price != nil {
		return *d.Price, true
	}
	for _, r := range c.Prices {
		if r.Provider == d.Provider && r.Model == d.Model {
			return Price{InputPerMTok: r.InputPerMTok, OutputPerMTok: r.OutputPerMTok}, true
		}
	}
	return t.Lookup(d.Provider, d.Model)
}
