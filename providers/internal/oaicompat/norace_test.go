//go:build !race

package oaicompat

const raceEnabled = false
