package hubspot

import (
	"sort"
	"time"
)

// rollingWindow hands out send times so that no window of length `window`
// holds more than `limit` of them — the rule HubSpot enforces on a portal
// (a rolling count of requests). Unlike a token bucket it lets a burst use
// the whole window at once and wastes nothing afterwards. Not safe for
// concurrent use: the portalLimiter's lock guards it.
type rollingWindow struct {
	limit  int
	window time.Duration
	slots  []time.Time // reserved send times, sorted; old ones pruned
}

func newRollingWindow(limit int, window time.Duration) *rollingWindow {
	return &rollingWindow{limit: max(limit, 1), window: window}
}

func (w *rollingWindow) prune(now time.Time) {
	cut := sort.Search(len(w.slots), func(i int) bool { return w.slots[i].After(now.Add(-w.window)) })
	w.slots = w.slots[cut:]
}

// reserve books the earliest send time at or after now that keeps every
// window within the limit and returns it.
func (w *rollingWindow) reserve(now time.Time) time.Time {
	w.prune(now)
	at := now
	// The slot at index len-limit is the oldest that would share a window
	// with a new request once limit more follow it.
	if n := len(w.slots); n >= w.limit {
		if t := w.slots[n-w.limit].Add(w.window); t.After(at) {
			at = t
		}
	}
	w.insert(at)
	return at
}

// cancel gives back a slot that was not used.
func (w *rollingWindow) cancel(at time.Time) {
	i := sort.Search(len(w.slots), func(i int) bool { return !w.slots[i].Before(at) })
	if i < len(w.slots) && w.slots[i].Equal(at) {
		w.slots = append(w.slots[:i], w.slots[i+1:]...)
	}
}

// spend records n requests sent by someone else at now (seen in HubSpot's
// Remaining header).
func (w *rollingWindow) spend(now time.Time, n int) {
	for ; n > 0; n-- {
		w.insert(now)
	}
}

// free is how many requests may go at now without waiting.
func (w *rollingWindow) free(now time.Time) int {
	w.prune(now)
	used := sort.Search(len(w.slots), func(i int) bool { return w.slots[i].After(now) })
	return max(w.limit-used, 0)
}

func (w *rollingWindow) setLimit(limit int, window time.Duration) {
	w.limit, w.window = max(limit, 1), window
}

func (w *rollingWindow) insert(at time.Time) {
	i := sort.Search(len(w.slots), func(i int) bool { return w.slots[i].After(at) })
	w.slots = append(w.slots, time.Time{})
	copy(w.slots[i+1:], w.slots[i:])
	w.slots[i] = at
}
