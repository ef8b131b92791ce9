package hubspotsync

import (
	"context"
	"sort"
	"sync"
)

// keyLocks serializes runs of this process on shared keys: a marketing
// event's participant is one contact however many orders name it, so two
// rounds in flight must not both find it new and register it twice.
type keyLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed when the key is let go
}

// lock takes every key, in sorted order so that runs wanting overlapping
// sets cannot deadlock; unlock lets them all go. On ctx's end the keys
// taken so far are let go and ctx's error returned.
func (k *keyLocks) lock(ctx context.Context, keys []string) (unlock func(), err error) {
	keys = append([]string(nil), keys...)
	sort.Strings(keys)
	var taken []string
	unlock = func() {
		k.mu.Lock()
		for _, key := range taken {
			close(k.held[key])
			delete(k.held, key)
		}
		k.mu.Unlock()
	}
	for i, key := range keys {
		if i > 0 && keys[i-1] == key {
			continue
		}
		for {
			k.mu.Lock()
			if k.held == nil {
				k.held = map[string]chan struct{}{}
			}
			ch, busy := k.held[key]
			if !busy {
				k.held[key] = make(chan struct{})
				k.mu.Unlock()
				taken = append(taken, key)
				break
			}
			k.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				unlock()
				return func() {}, ctx.Err()
			}
		}
	}
	return unlock, nil
}
