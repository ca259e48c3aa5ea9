//go:build race

package oaicompat

const raceEnabled = true
