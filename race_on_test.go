//go:build race

package main

// raceEnabled: this test binary carries the race detector, whose memory
// overhead would distort a child process's RSS.
const raceEnabled = true
