package hubspotfake

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Latency is how long the emulator takes to answer, per kind of endpoint.
// A request is counted against the rate window when it arrives, applied at
// once, and answered after its drawn latency — without holding the
// emulator's lock, so concurrent requests take their time side by side, as
// HubSpot serves them. The zero value answers instantly (unit tests).
type Latency struct {
	On bool
	// Read is the range of a batch read, a GET of properties, pipelines or a
	// record; Write the range of a batch create/update/upsert of 100 inputs
	// and Associate of an association call of 1,000 pairs (fewer inputs take
	// proportionally less, at least a third); Page the range of other calls.
	Read, Write, Associate, Page [2]time.Duration
	// TailRate is the share of requests that take TailExtra on top.
	TailRate  float64
	TailExtra [2]time.Duration
	Seed      uint64 // draws are reproducible for one seed
}

// RealisticLatency is the model the benchmarks and the demo use: reads
// 150–300 ms, writes 300–700 ms per 100 inputs, associations 500–1500 ms
// per 1,000 pairs, other calls 80–200 ms, and one request in fifty 1–2.5 s
// slower (p99 ≈ 2 s).
func RealisticLatency(seed uint64) Latency {
	return Latency{On: true,
		Read: [2]time.Duration{150 * time.Millisecond, 300 * time.Millisecond}, Write: [2]time.Duration{300 * time.Millisecond, 700 * time.Millisecond},
		Associate: [2]time.Duration{500 * time.Millisecond, 1500 * time.Millisecond},
		Page:      [2]time.Duration{80 * time.Millisecond, 200 * time.Millisecond},
		TailRate:  0.02, TailExtra: [2]time.Duration{time.Second, 2500 * time.Millisecond}, Seed: seed}
}

// latencyModel draws latencies; it has its own lock so drawing never waits
// for the emulator's state lock.
type latencyModel struct {
	cfg Latency
	mu  sync.Mutex
	rnd *rand.Rand
}

func newLatencyModel(cfg Latency) *latencyModel {
	return &latencyModel{cfg: cfg, rnd: rand.New(rand.NewPCG(cfg.Seed, 0x1a7e))}
}

// set replaces the model's configuration; the random draws go on.
func (m *latencyModel) set(cfg Latency) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg = cfg
}

// draw returns how long the request to pattern with body takes.
func (m *latencyModel) draw(pattern string, body []byte) time.Duration {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	cfg := m.cfg
	m.mu.Unlock()
	if !cfg.On {
		return 0
	}
	span, scale := cfg.Page, 1.0
	switch {
	case strings.HasSuffix(pattern, "/batch/read") || strings.HasPrefix(pattern, "GET /crm/"):
		span = cfg.Read
	case strings.Contains(pattern, "/batch/") || strings.HasPrefix(pattern, "POST /marketing/"):
		span = cfg.Write
		per := 100.0
		if strings.HasPrefix(pattern, "POST /crm/associations/") {
			span, per = cfg.Associate, 1000
		}
		var in struct {
			Inputs []json.RawMessage `json:"inputs"`
		}
		if json.Unmarshal(body, &in) == nil {
			scale = max(float64(len(in.Inputs))/per, 1.0/3)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d := time.Duration(float64(between(m.rnd, span)) * scale)
	if cfg.TailRate > 0 && m.rnd.Float64() < cfg.TailRate {
		d += between(m.rnd, cfg.TailExtra)
	}
	return d
}

func between(r *rand.Rand, span [2]time.Duration) time.Duration {
	lo, hi := span[0], span[1]
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}
