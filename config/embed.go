// Package configfiles embeds the YAML files shipped in config/ so the
// binary carries them: the price table, the demo config and the commented
// example. It lives next to the files because //go:embed cannot reach a
// parent directory. Treat the slices as read-only.
package configfiles

import _ "embed"

// Prices is config/prices.yaml: USD per million tokens per provider and model.
//
//go:embed prices.yaml
var Prices []byte

// Demo is config/demo.yaml, the config "windrose demo" runs against the
// local emulators.
//
//go:embed demo.yaml
var Demo []byte

// Example is config/windrose.example.yaml, every provider sketched and
// commented.
//
//go:embed windrose.example.yaml
var Example []byte
