package hubspotsync

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestKeyLocksSerializeOverlappingRuns(t *testing.T) {
	var k keyLocks
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	// Overlapping sets in different orders: one at a time holds "b", and
	// nobody deadlocks.
	sets := [][]string{{"a", "b"}, {"b", "c"}, {"c", "b", "a"}, {"b", "b"}}
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(keys []string) {
			defer wg.Done()
			unlock, err := k.lock(context.Background(), keys)
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		}(sets[i%len(sets)])
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d runs held key b at once", most.Load())
	}
	// A waiting run gives up with its context, holding nothing.
	unlock, _ := k.lock(context.Background(), []string{"x"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := k.lock(ctx, []string{"w", "x"}); err == nil {
		t.Fatal("lock on a held key returned without the key")
	}
	unlock()
	if u, err := k.lock(context.Background(), []string{"w", "x"}); err != nil {
		t.Fatalf("after the holder let go: %v", err)
	} else {
		u()
	}
}
