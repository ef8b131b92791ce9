package hubspotsync

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/config"
	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/memlimit"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

// workerEnv switches the test binary into a sync worker process: the
// SIGKILL test and the backlog benchmark run the engine in a process of
// its own (one they can kill, or whose memory they can measure apart from
// the emulators'), re-executing this binary with -test.run=TestHelperWorker.
const workerEnv = "HUBSPOTSYNC_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) != "" {
		os.Exit(workerMain())
	}
	os.Exit(m.Run())
}

// workerConfig is what the parent passes to a worker process.
type workerConfig struct {
	DB           string        `json:"db"`
	APIBase      string        `json:"api_base"`
	ClientID     string        `json:"client_id"`
	ClientSecret string        `json:"client_secret"`
	BatchSize    int           `json:"batch_size"`
	InFlight     int           `json:"in_flight"`
	Lease        time.Duration `json:"lease"`
	RetryBase    time.Duration `json:"retry_base"`
	MaxAttempts  int           `json:"max_attempts"`
	Deadline     time.Duration `json:"deadline"`
	// ClientTimeout is how long the worker waits for one HubSpot answer
	// (default 20 s).
	ClientTimeout time.Duration `json:"client_timeout"`
}

// workerReport is what a worker prints as its last line.
type workerReport struct {
	Done       int64 `json:"done"`        // jobs finished (gone from the queue)
	Failed     int64 `json:"failed"`      // jobs left failed
	DrainMS    int64 `json:"drain_ms"`    // from the first claim to an empty queue
	PeakRSSKB  int64 `json:"peak_rss_kb"` // VmHWM of the worker process
	Runs       int   `json:"runs"`
	StartedAt  int64 `json:"started_at_unix_ms"`
	FinishedAt int64 `json:"finished_at_unix_ms"`
}

// workerKey is the secret box key parent and worker share.
var workerKey = make([]byte, 32)

// workerMain drains the queue of the database it is given: it runs the
// worker until no job is pending or in flight (jobs leased by a killed
// predecessor come back through the sweeper once their lease expires).
func workerMain() int {
	var cfg workerConfig
	if err := json.Unmarshal([]byte(os.Getenv(workerEnv)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "worker config:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// main.go's default soft memory limit (GOMEMLIMIT in BENCH_WORKER_ENV wins).
	memlimit.Start(config.DefaultMemoryLimitMiB<<20, os.Getenv)
	db, err := models.Open(cfg.DB)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer models.Close(db)
	box, _ := secret.NewBox(workerKey)
	clock := clockwork.NewRealClock()
	hs := hubspot.NewService(hubspot.Options{DB: db, Box: box, APIBaseURL: cfg.APIBase, AppBaseURL: cfg.APIBase,
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Clock: clock, Logger: logger,
		HTTPClient: &http.Client{Timeout: cmp.Or(cfg.ClientTimeout, 20*time.Second)}})
	policy := datasync.DefaultRetryPolicy
	if cfg.RetryBase > 0 {
		policy.Base = cfg.RetryBase
	}
	if cfg.MaxAttempts > 0 {
		policy.MaxAttempts = cfg.MaxAttempts
	}
	q := datasync.NewQueue(db, clock, policy, rand.New(rand.NewPCG(uint64(os.Getpid()), 1)))
	prov := New(Options{DB: db, Portals: hs, Clock: clock, Logger: logger, MaxAttempts: policy.MaxAttempts})
	runner := datasync.NewRunner(db, q, clock, logger, []datasync.Provider{prov},
		datasync.RunnerOptions{Owner: datasync.NewOwner("test-host", os.Getpid(), rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))).String(),
			BatchSize: cfg.BatchSize, InFlight: cfg.InFlight, Lease: cfg.Lease})
	if path := os.Getenv("HUBSPOTSYNC_WORKER_CPUPROFILE"); path != "" {
		// For looking into the benchmark: where a drain spends its time.
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if path := os.Getenv("HUBSPOTSYNC_WORKER_MEMPROFILE"); path != "" {
		// For looking into the benchmark: the live heap at its largest.
		go func() {
			var peak uint64
			for range time.Tick(200 * time.Millisecond) {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak {
					peak = ms.HeapInuse
					if f, err := os.Create(path); err == nil {
						_ = pprof.WriteHeapProfile(f)
						f.Close()
					}
				}
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Deadline)
	defer cancel()
	var before int64
	db.Model(&models.SyncJob{}).Count(&before)
	rep := workerReport{StartedAt: time.Now().UnixMilli()}
	start := time.Now()
	for {
		if err := runner.RunOnce(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "run:", err)
			return 1
		}
		rep.Runs++
		var open int64
		db.Model(&models.SyncJob{}).Where("state <> ?", models.JobFailed).Count(&open)
		if open == 0 {
			break
		}
		// What is left waits: for a lease to expire, or for its backoff.
		select {
		case <-ctx.Done():
			fmt.Fprintln(os.Stderr, "deadline with", open, "jobs open")
			return 1
		case <-time.After(50 * time.Millisecond):
		}
	}
	rep.DrainMS = time.Since(start).Milliseconds()
	rep.FinishedAt = time.Now().UnixMilli()
	db.Model(&models.SyncJob{}).Where("state = ?", models.JobFailed).Count(&rep.Failed)
	rep.Done = before - rep.Failed
	rep.PeakRSSKB = peakRSSKB()
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
	return 0
}

// peakRSSKB reads the process's peak resident set size (VmHWM).
func peakRSSKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return -1
}

// workerCmd prepares a worker process.
func workerCmd(tb testing.TB, cfg workerConfig) *exec.Cmd {
	tb.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWorker$")
	cmd.Env = append(os.Environ(), workerEnv+"="+string(b))
	if v := os.Getenv("BENCH_WORKER_ENV"); v != "" {
		// For trying runtime settings (GOGC=…, GOMEMLIMIT=…) on the worker
		// alone; the parent holds both emulators' data.
		cmd.Env = append(cmd.Env, strings.Fields(v)...)
	}
	cmd.Stderr = os.Stderr
	return cmd
}

// parseReport reads the worker's last output line.
func parseReport(tb testing.TB, out []byte) workerReport {
	tb.Helper()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var rep workerReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		tb.Fatalf("worker output %q: %v", out, err)
	}
	return rep
}
