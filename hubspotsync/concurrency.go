package hubspotsync

import "golang.org/x/sync/errgroup"

// maxInFlight bounds the HubSpot calls one run has open at once. The
// portal's governor keeps them within the rate limit; this only lets a
// phase of a 1,000-order round (about 15 reads, then 15 writes) go out in
// one wave instead of waiting for the slowest call twice.
const maxInFlight = 16

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
