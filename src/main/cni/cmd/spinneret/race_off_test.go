//go:build !race

package main

// raceFlags: the tests run without the race detector, so the binary they exec is built without it.
var raceFlags []string
