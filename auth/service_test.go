package auth

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

var cheap = HashParams{Time: 1, Memory: 1024, Threads: 1}

func newTestService(t *testing.T, h *Hasher) (*Service, *clockwork.FakeClock) {
	t.Helper()
	db, err := models.Open(filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if h == nil {
		h = DefaultHasher(cheap, 2)
	}
	s := NewService(db, clock, time.Hour, WithHasher(h))
	if _, err := s.Setup(context.Background(), "admin", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	return s, clock
}

// TestParallelGuessesAreCountedBeforeHashing: simultaneous wrong passwords
// for one user from one address reserve their place before the slow hash,
// so no more than the limit are ever checked.
func TestParallelGuessesAreCountedBeforeHashing(t *testing.T) {
	s, _ := newTestService(t, NewHasher(cheap, 2, 64, 10*time.Second))
	var wg sync.WaitGroup
	var mu sync.Mutex
	kinds := map[apperr.Kind]int{}
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Login(context.Background(), "admin", "wrong password!", "203.0.113.9")
			mu.Lock()
			kinds[apperr.KindOf(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if kinds[apperr.KindUnauthorized] > LimitAddressUser.Max || kinds[apperr.KindRateLimited] < 30-LimitAddressUser.Max {
		t.Fatalf("outcomes %v: more than %d passwords were tried", kinds, LimitAddressUser.Max)
	}
}

func TestThrottle(t *testing.T) {
	for _, tc := range []struct {
		name string
		// failures by address and user before the admin's own attempt
		fails     []struct{ addr, user string }
		advance   time.Duration
		adminAddr string
		want      apperr.Kind // "" for a successful sign-in
	}{
		{name: "stranger's failures do not lock the admin out elsewhere",
			fails: repeat(5, "198.51.100.7", "admin"), adminAddr: "192.0.2.1"},
		{name: "the guessing address is locked for this user",
			fails: repeat(5, "198.51.100.7", "admin"), adminAddr: "198.51.100.7", want: apperr.KindRateLimited},
		{name: "the lock-out ends after its window",
			fails: repeat(5, "198.51.100.7", "admin"), advance: 16 * time.Minute, adminAddr: "198.51.100.7"},
		{name: "spraying many users locks the address",
			fails: spray(20, "198.51.100.7"), adminAddr: "198.51.100.7", want: apperr.KindRateLimited},
		{name: "four failures are forgiven",
			fails: repeat(4, "198.51.100.7", "admin"), adminAddr: "198.51.100.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := newTestService(t, nil)
			for _, f := range tc.fails {
				if _, err := s.Login(context.Background(), f.user, "wrong password!", f.addr); apperr.KindOf(err) != apperr.KindUnauthorized {
					t.Fatalf("failure for %s from %s: %v", f.user, f.addr, err)
				}
			}
			clock.Advance(tc.advance)
			_, err := s.Login(context.Background(), "admin", "correct horse battery", tc.adminAddr)
			if tc.want == "" && err != nil {
				t.Fatalf("admin refused: %v", err)
			}
			if tc.want != "" && apperr.KindOf(err) != tc.want {
				t.Fatalf("admin: %v, want %s", err, tc.want)
			}
		})
	}
}

// TestLockoutsGrow: a key locked out again, without a correct password in
// between, waits twice as long.
func TestLockoutsGrow(t *testing.T) {
	clock := clockwork.NewFakeClock()
	th := NewThrottle(clock)
	keys := LoginKeys("198.51.100.7", "admin")
	var waits []time.Duration
	for round := 0; round < 3; round++ {
		for i := 0; i < LimitAddressUser.Max; i++ {
			r, wait := th.Reserve(keys...)
			if r == nil {
				t.Fatalf("round %d attempt %d refused (%v)", round, i, wait)
			}
			r.Fail()
		}
		_, wait := th.Reserve(keys...)
		waits = append(waits, wait)
		clock.Advance(wait)
	}
	want := []time.Duration{15 * time.Minute, 30 * time.Minute, 60 * time.Minute}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("lock-outs %v, want %v", waits, want)
		}
	}
}

func TestSetupOnInstalledInstanceDoesNotHash(t *testing.T) {
	h := NewHasher(cheap, 1, 0, time.Millisecond)
	s, _ := newTestService(t, h)
	h.run <- struct{}{} // every hashing slot taken: a hash would answer busy
	defer func() { <-h.run }()
	_, err := s.Setup(context.Background(), "mallory", "another long password")
	if ae, ok := apperr.As(err); !ok || ae.Code != "already_set_up" {
		t.Fatalf("setup on an installed instance: %v", err)
	}
}

func TestHasherRefusesWhenFull(t *testing.T) {
	h := NewHasher(cheap, 1, 1, 50*time.Millisecond)
	h.run <- struct{}{}
	h.queue <- struct{}{}
	if _, err := h.Hash(context.Background(), "some password"); err != ErrBusy {
		t.Fatalf("full queue: %v", err)
	}
	<-h.queue
	if _, err := h.Hash(context.Background(), "some password"); err != ErrBusy {
		t.Fatalf("slot never freed: %v", err)
	}
	<-h.run
	if _, err := h.Hash(context.Background(), "some password"); err != nil {
		t.Fatalf("free hasher: %v", err)
	}
}

func repeat(n int, addr, user string) []struct{ addr, user string } {
	out := make([]struct{ addr, user string }, n)
	for i := range out {
		out[i] = struct{ addr, user string }{addr, user}
	}
	return out
}

func spray(n int, addr string) []struct{ addr, user string } {
	out := make([]struct{ addr, user string }, n)
	for i := range out {
		out[i] = struct{ addr, user string }{addr, "user" + string(rune('a'+i))}
	}
	return out
}

// fakeReserver records what is reserved and still held.
type fakeReserver struct {
	mu             sync.Mutex
	held, reserved int64
}

func (f *fakeReserver) Reserve(n int64) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held += n
	f.reserved += n
	return func() { f.mu.Lock(); f.held -= n; f.mu.Unlock() }
}

// A hash reserves its memory while it runs and gives it back after; a
// refused one reserves nothing.
func TestHasherReservesItsMemory(t *testing.T) {
	mem := &fakeReserver{}
	h := NewHasher(cheap, 1, 0, 20*time.Millisecond).ReservingMemory(mem)
	enc, err := h.Hash(context.Background(), "some password")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Check(context.Background(), enc, "some password"); !ok || err != nil {
		t.Fatalf("check: %v %v", ok, err)
	}
	if mem.reserved != 2*int64(cheap.Memory)*1024 || mem.held != 0 {
		t.Fatalf("reserved %d, still held %d; want %d and 0", mem.reserved, mem.held, 2*int64(cheap.Memory)*1024)
	}
	h.run <- struct{}{}
	if _, err := h.Hash(context.Background(), "some password"); err != ErrBusy {
		t.Fatalf("full hasher: %v", err)
	}
	if mem.reserved != 2*int64(cheap.Memory)*1024 {
		t.Fatalf("a refused hash reserved memory: %d", mem.reserved)
	}
}
