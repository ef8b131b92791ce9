package memlimit

import (
	"testing"
)

func TestLimitFollowsReservations(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		name     string
		base     int64
		gomem    string
		reserve  []int64 // reserved in turn, then released in reverse
		wantSets []int64
	}{
		{"base alone", 100 * mib, "", nil, []int64{100 * mib}},
		{"two hashes at once", 100 * mib, "", []int64{64 * mib, 64 * mib},
			[]int64{100 * mib, 164 * mib, 228 * mib, 164 * mib, 100 * mib}},
		{"nothing reserved for zero", 100 * mib, "", []int64{0}, []int64{100 * mib}},
		{"off", 0, "", []int64{64 * mib}, nil},
		{"GOMEMLIMIT wins", 100 * mib, "200MiB", []int64{64 * mib}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var sets []int64
			l := start(c.base, func(k string) string {
				if k == "GOMEMLIMIT" {
					return c.gomem
				}
				return ""
			}, func(n int64) int64 { sets = append(sets, n); return 0 })
			var releases []func()
			for _, n := range c.reserve {
				releases = append(releases, l.Reserve(n))
			}
			for i := len(releases) - 1; i >= 0; i-- {
				releases[i]()
				releases[i]() // twice is once
			}
			if len(sets) != len(c.wantSets) {
				t.Fatalf("limits set %v, want %v", sets, c.wantSets)
			}
			for i := range sets {
				if sets[i] != c.wantSets[i] {
					t.Fatalf("limits set %v, want %v", sets, c.wantSets)
				}
			}
		})
	}
}
