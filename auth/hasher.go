package auth

import (
	"context"
	"runtime"
	"time"

	"pretix-hubspot/apperr"
)

// Hasher runs password hashes with bounded concurrency. An argon2id hash
// holds its whole memory cost (64 MiB by default) while it runs, so without
// a bound a burst of sign-in requests — which anyone who can reach the port
// may send — would take the process's memory with it. At most `running`
// hashes run at once and at most `waiting` more queue for a moment; every
// further request is refused at once with ErrBusy instead of piling up.
type Hasher struct {
	params  HashParams
	run     chan struct{}
	queue   chan struct{}
	maxWait time.Duration
	mem     MemoryReserver
}

// MemoryReserver is told of a hash's memory while it runs (the process's
// soft memory limit rises by it); see package memlimit.
type MemoryReserver interface {
	Reserve(n int64) (release func())
}

// ReservingMemory makes h reserve each hash's memory with m while it runs.
func (h *Hasher) ReservingMemory(m MemoryReserver) *Hasher {
	h.mem = m
	return h
}

// ErrBusy is returned when every hashing slot is taken. Every error the
// Hasher returns is an *apperr.Error.
var ErrBusy = apperr.New(apperr.KindRateLimited, "busy",
	"The server is busy checking other sign-ins. Try again in a few seconds.")

// NewHasher allows running hashes at once and waiting more to queue for at
// most maxWait.
func NewHasher(p HashParams, running, waiting int, maxWait time.Duration) *Hasher {
	running = max(running, 1)
	return &Hasher{params: p, run: make(chan struct{}, running), queue: make(chan struct{}, running+max(waiting, 0)), maxWait: maxWait}
}

// Hash returns an encoded hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	var out string
	err := h.do(ctx, func() (err error) { out, err = HashPasswordWith(h.params, password); return err })
	return out, err
}

// Check reports whether password matches encoded.
func (h *Hasher) Check(ctx context.Context, encoded, password string) (bool, error) {
	var ok bool
	err := h.do(ctx, func() (err error) { ok, err = CheckPassword(encoded, password); return err })
	return ok, err
}

func (h *Hasher) do(ctx context.Context, f func() error) error {
	select {
	case h.queue <- struct{}{}:
	default:
		return ErrBusy
	}
	defer func() { <-h.queue }()
	t := time.NewTimer(h.maxWait)
	defer t.Stop()
	select {
	case h.run <- struct{}{}:
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return apperr.Internal(ctx.Err())
	}
	defer func() { <-h.run }()
	if h.mem != nil {
		defer h.mem.Reserve(int64(h.params.Memory) * 1024)()
	}
	err := f()
	if h.params.Memory >= 16*1024 {
		// The hash's memory is garbage now. Left to the pacer, the next
		// hashes would be allocated beside it and the process would grow
		// to several times the bound; collecting now lets them reuse it.
		// With a small heap this costs about a millisecond.
		runtime.GC()
	}
	if err != nil {
		return apperr.Internal(err)
	}
	return nil
}
