package hubspot

import (
	"testing"
	"time"
)

// The rolling window allows a full window at once, then hands out each
// next slot exactly when the oldest request leaves the window — never more
// than the limit in any window of its length.
func TestRollingWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := newRollingWindow(3, 10*time.Second)
	var got []time.Duration
	for i := 0; i < 7; i++ {
		got = append(got, w.reserve(t0.Add(time.Duration(i)*time.Second)).Sub(t0))
	}
	want := []time.Duration{0, time.Second, 2 * time.Second, 10 * time.Second, 11 * time.Second, 12 * time.Second, 20 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("slots %v, want %v", got, want)
		}
	}
	// A cancelled slot is free again; someone else's requests take slots.
	w = newRollingWindow(3, 10*time.Second)
	a := w.reserve(t0)
	w.reserve(t0)
	w.cancel(a)
	if n := w.free(t0); n != 2 {
		t.Fatalf("free after cancel = %d, want 2", n)
	}
	w.spend(t0, 2)
	if n := w.free(t0); n != 0 {
		t.Fatalf("free after spend = %d, want 0", n)
	}
	if at := w.reserve(t0.Add(time.Second)); at != t0.Add(10*time.Second) {
		t.Fatalf("next slot %v, want when the first leaves", at.Sub(t0))
	}
	if n := w.free(t0.Add(10*time.Second + time.Millisecond)); n != 2 {
		t.Fatalf("free once the first three left = %d, want 2 (the slot at t0+10 s is used)", n)
	}
}
