package hubspotsync

import "golang.org/x/sync/errgroup"

// maxInFlight bounds the HubSpot calls one run has open at once. The
// portal's governor paces them to the rate limit; this only keeps enough
// calls in flight that the budget is used while each takes its few hundred
// milliseconds (110 requests per 10 s at up to ~700 ms a call needs about
// eight).
const maxInFlight = 8

// concurrently runs call(i) for every i in [0, n), at most maxInFlight at
// a time, and returns when all are done. Calls must touch only their own
// slot: the run applies the answers afterwards, in order, so outcomes do
// not depend on which answer came first.
func concurrently(n int, call func(i int)) {
	if n == 1 {
		call(0)
		return
	}
	var g errgroup.Group
	g.SetLimit(maxInFlight)
	for i := 0; i < n; i++ {
		g.Go(func() error { call(i); return nil })
	}
	_ = g.Wait()
}
