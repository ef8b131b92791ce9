package hubspot

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A few percent of HubSpot's calls take a second or two longer than the
// rest. A webhook's order makes three or four calls one after the other, so
// without help about one order in ten waits for a slow one. A live call
// that is safe to repeat (a read, an upsert, an update, an association) is
// therefore hedged: when it has not answered well after calls of its kind
// usually do, the same request goes out once more and the first answer
// wins. Creates are never repeated, and bulk calls are not hedged: nobody
// waits for them, and the extra requests would come out of a backfill's
// budget.
const (
	hedgeSamples  = 64                     // recent live latencies kept per kind of call
	hedgeMinKnown = 8                      // below this, hedgeDefault applies
	hedgeDefault  = 1 * time.Second        // until latencies are known
	hedgeFloor    = 200 * time.Millisecond // never sooner
	hedgeShare    = 0.1                    // at most one hedge per ten live calls, on average
	hedgeBurst    = 3                      // hedges that may go before that share is earned
)

// hedger keeps recent live call latencies by kind and the hedges they earn.
type hedger struct {
	mu     sync.Mutex
	recent map[string][]time.Duration // kind → ring of latencies
	next   map[string]int
	tokens float64
	sent   atomic.Int64
}

func newHedger() *hedger {
	return &hedger{recent: map[string][]time.Duration{}, next: map[string]int{}, tokens: hedgeBurst}
}

// callKind groups calls that take about as long.
func callKind(req request) string {
	switch {
	case strings.Contains(req.path, "/associations/"):
		return "associate"
	case req.method == http.MethodGet || strings.HasSuffix(req.path, "/batch/read"):
		return "read"
	}
	return "write"
}

// observe records a live call's latency, and earns a share of a hedge.
func (h *hedger) observe(kind string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ring := h.recent[kind]
	if len(ring) < hedgeSamples {
		h.recent[kind] = append(ring, d)
	} else {
		ring[h.next[kind]] = d
		h.next[kind] = (h.next[kind] + 1) % hedgeSamples
	}
	h.tokens = min(h.tokens+hedgeShare, hedgeBurst)
}

// after is how long a live call of kind may take before it is hedged: half
// as long again as the slowest but one in twenty of the recent ones.
func (h *hedger) after(kind string) time.Duration {
	h.mu.Lock()
	ring := slices.Clone(h.recent[kind])
	h.mu.Unlock()
	if len(ring) < hedgeMinKnown {
		return hedgeDefault
	}
	slices.Sort(ring)
	p95 := ring[(len(ring)*95+99)/100-1]
	return max(p95*3/2, hedgeFloor)
}

// take spends a hedge if one is earned.
func (h *hedger) take() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tokens < 1 {
		return false
	}
	h.tokens--
	h.sent.Add(1)
	return true
}

// exchange sends req, counted from sentAt, and returns the first answer:
// for a live call safe to repeat, a slow one is hedged by a second send
// (through the governor, as urgent work); the other is abandoned.
func (c *Client) exchange(ctx context.Context, req request, payload []byte, tok string, sentAt time.Time) (*response, error) {
	live := isUrgent(ctx)
	if !req.idempotent || !live || c.svc.opts.NoHedging {
		return c.sendCounted(ctx, req, payload, tok, sentAt, "")
	}
	kind, h := callKind(req), c.svc.hedger
	hctx, cancel := context.WithCancel(ctx)
	defer cancel() // the loser's answer is not waited for
	type answer struct {
		resp *response
		err  error
	}
	answers := make(chan answer, 2)
	go func() {
		resp, err := c.sendCounted(hctx, req, payload, tok, sentAt, kind)
		answers <- answer{resp, err}
	}()
	t := c.svc.clock.NewTimer(h.after(kind))
	defer t.Stop()
	pending, hedged := 1, false
	var failed error
	for {
		select {
		case a := <-answers:
			pending--
			if a.err == nil {
				return a.resp, nil
			}
			// A send that failed on the way may be made good by the other;
			// the first failure is the one to tell.
			if failed == nil {
				failed = a.err
			}
			if pending == 0 {
				return nil, failed
			}
		case <-t.Chan():
			if hedged || pending == 0 || !h.take() {
				continue
			}
			hedged = true
			pending++
			go func() {
				at, err := c.limiter.acquire(hctx, req.op, 0)
				if err != nil {
					answers <- answer{nil, err}
					return
				}
				resp, err := c.sendCounted(hctx, req, payload, tok, at, kind)
				answers <- answer{resp, err}
			}()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// sendCounted makes one send of a request the governor granted at sentAt,
// and releases its slot; kind, when set, records the latency of a live
// call.
func (c *Client) sendCounted(ctx context.Context, req request, payload []byte, tok string, sentAt time.Time, kind string) (*response, error) {
	// Compared with Remaining at the time the window counts it from,
	// so that its own count and its neighbours' fall in the same range.
	var counted atomic.Pointer[time.Time]
	start := c.svc.clock.Now()
	resp, err := c.send(ctx, req, payload, tok, func() {
		at := c.limiter.wrote(sentAt, c.svc.clock.Now())
		counted.Store(&at)
	})
	if err != nil {
		c.limiter.release(nil, sentAt)
		return nil, err
	}
	at := sentAt
	if p := counted.Load(); p != nil {
		at = *p
	}
	c.limiter.release(resp.header, at)
	if kind != "" {
		c.svc.hedger.observe(kind, c.svc.clock.Since(start))
	}
	return resp, nil
}

// SlowWriteAfter is how long a live write usually takes at most: when a
// live create, which is never sent twice, has not answered by then, the
// caller may look for its records instead (LookForSlowCreate).
func (c *Client) SlowWriteAfter() time.Duration { return c.svc.hedger.after("write") }

// LookForSlowCreate spends a hedge on looking for a slow create's records,
// if one is earned; false means keep waiting for the create's answer.
func (c *Client) LookForSlowCreate() bool {
	return !c.svc.opts.NoHedging && c.svc.hedger.take()
}
