package hubspot

import (
	"sort"
	"time"
)

// rollingWindow counts the requests sent in the last `window` so that no
// window of that length holds more than `limit` of them — the rule HubSpot
// enforces on a portal (a rolling count of requests). Unlike a token bucket
// it lets a burst use the whole window at once and wastes nothing
// afterwards. Not safe for concurrent use: the portalLimiter's lock guards
// it.
type rollingWindow struct {
	limit  int
	window time.Duration
	sent   []time.Time // send times of the last two windows, sorted
}

func newRollingWindow(limit int, window time.Duration) *rollingWindow {
	return &rollingWindow{limit: max(limit, 1), window: window}
}

// prune forgets sends older than two windows: the previous window is kept
// for sentBetween, since an answer may come long after its request.
func (w *rollingWindow) prune(now time.Time) {
	cut := sort.Search(len(w.sent), func(i int) bool { return w.sent[i].After(now.Add(-2 * w.window)) })
	w.sent = w.sent[cut:]
}

// current returns the sends within the window ending at now.
func (w *rollingWindow) current(now time.Time) []time.Time {
	w.prune(now)
	lo := sort.Search(len(w.sent), func(i int) bool { return w.sent[i].After(now.Add(-w.window)) })
	return w.sent[lo:]
}

// free is how many requests may go at now without breaking the limit.
func (w *rollingWindow) free(now time.Time) int {
	return max(w.limit-len(w.current(now)), 0)
}

// sentBetween counts the sends in (from, to].
func (w *rollingWindow) sentBetween(from, to time.Time) int {
	lo := sort.Search(len(w.sent), func(i int) bool { return w.sent[i].After(from) })
	hi := sort.Search(len(w.sent), func(i int) bool { return w.sent[i].After(to) })
	return hi - lo
}

// take records a request sent at now.
func (w *rollingWindow) take(now time.Time) { w.insert(now) }

// spend records n requests sent by someone else at now (seen in HubSpot's
// Remaining header).
func (w *rollingWindow) spend(now time.Time, n int) {
	for ; n > 0; n-- {
		w.insert(now)
	}
}

// nextFree is the earliest time at or after now when more than keep
// requests are free: when enough of the oldest have left the window.
func (w *rollingWindow) nextFree(now time.Time, keep int) time.Time {
	cur := w.current(now)
	leave := len(cur) - (w.limit - keep - 1)
	if leave <= 0 {
		return now
	}
	if leave > len(cur) {
		// keep is at least the limit: never while only we send. Check again
		// after a window.
		return now.Add(w.window)
	}
	return cur[leave-1].Add(w.window)
}

// move re-dates one send from from to to (later): the request left then.
func (w *rollingWindow) move(from, to time.Time) {
	i := sort.Search(len(w.sent), func(i int) bool { return !w.sent[i].Before(from) })
	if i == len(w.sent) || !w.sent[i].Equal(from) {
		return // already out of the last two windows
	}
	w.sent = append(w.sent[:i], w.sent[i+1:]...)
	w.insert(to)
}

func (w *rollingWindow) setLimit(limit int, window time.Duration) {
	w.limit, w.window = max(limit, 1), window
}

func (w *rollingWindow) insert(at time.Time) {
	i := sort.Search(len(w.sent), func(i int) bool { return w.sent[i].After(at) })
	w.sent = append(w.sent, time.Time{})
	copy(w.sent[i+1:], w.sent[i:])
	w.sent[i] = at
}
