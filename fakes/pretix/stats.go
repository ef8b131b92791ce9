package pretixfake

import (
	"sync"
	"time"
)

// RequestRecord is one request the emulator answered for an organizer's
// token, kept for measuring how much of the rate limit a client used.
type RequestRecord struct {
	At       time.Time
	Endpoint string
	Status   int // 0 when the connection was dropped
}

type stats struct {
	mu     sync.Mutex
	counts map[string]int
	byOrg  map[string][]RequestRecord
}

func newStats() *stats {
	return &stats{counts: map[string]int{}, byOrg: map[string][]RequestRecord{}}
}

func (s *stats) count(endpoint, org string, status int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[endpoint]++
	if org != "" {
		s.byOrg[org] = append(s.byOrg[org], RequestRecord{At: at, Endpoint: endpoint, Status: status})
	}
}

// RequestCounts returns the number of requests per endpoint (see the
// Endpoint* constants; "unrouted" counts requests no route matched).
// Requests failed by fault injection are counted too.
func (s *Server) RequestCounts() map[string]int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := make(map[string]int, len(s.stats.counts))
	for k, v := range s.stats.counts {
		out[k] = v
	}
	return out
}

// RequestCount returns the number of requests to one endpoint.
func (s *Server) RequestCount(endpoint string) int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.counts[endpoint]
}

// RequestLog returns the requests made with tokens of org, including those
// failed by fault injection (Status 0 for dropped connections).
func (s *Server) RequestLog(org string) []RequestRecord {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return append([]RequestRecord(nil), s.stats.byOrg[org]...)
}

// ResetStats clears counters and request logs.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.counts = map[string]int{}
	s.stats.byOrg = map[string][]RequestRecord{}
}
