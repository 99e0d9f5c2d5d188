//go:build race

package main

// raceFlags build the plugin binary the tests exec with the race detector when the tests themselves run with it
// (`go test -race`, as mvn test does): its goroutines, the watchdog among them, are then checked too.
var raceFlags = []string{"-race"}
