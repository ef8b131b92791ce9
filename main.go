// Command pretix-hubspot exports pretix orders and attendees into HubSpot CRM.
// This file is the composition root: config → database → services →
// scheduler → HTTP server.
package main

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/alerts"
	"pretix-hubspot/api"
	"pretix-hubspot/auth"
	"pretix-hubspot/config"
	"pretix-hubspot/datasync"
	"pretix-hubspot/fserr"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/hubspotsync/mapping"
	"pretix-hubspot/memlimit"
	"pretix-hubspot/metrics"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
	"pretix-hubspot/scheduler"
	"pretix-hubspot/secret"
	"pretix-hubspot/secret/keycheck"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `pretix-hubspot exports pretix orders and attendees into HubSpot CRM.

Usage:
  pretix-hubspot [serve] [flags]   start the web UI and the sync loop (default)
  pretix-hubspot fakes [flags]     run only the pretix and HubSpot emulators (for trying and testing)
  pretix-hubspot demo [flags]      the app with in-process pretix and HubSpot emulators, ready to try
  pretix-hubspot version           print the version
  pretix-hubspot help              show this help

Every flag can also be set as an environment variable PRETIX_HUBSPOT_<FLAG>,
e.g. PRETIX_HUBSPOT_ADDR=127.0.0.1:9000. Run "pretix-hubspot serve -h" for flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := config.Load(args, getenv, stderr)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "configuration error:\n%v\n", err)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := serve(ctx, cfg, stderr); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return 1
		}
		return 0
	case "fakes":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runFakes(ctx, args, stdout, stderr)
	case "demo":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runDemo(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve wires the application and runs it until ctx is cancelled.
func serve(ctx context.Context, cfg *config.Config, logw io.Writer) error {
	a, err := newApp(cfg, newLogger(cfg, logw), clockwork.NewRealClock())
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another instance running? choose another port with --addr)", cfg.Addr, err)
	}
	return a.run(ctx, ln)
}

// app is the wired application: services, scheduler jobs, the sync worker
// and the HTTP handler. serve and the demo build it with newApp, so the demo
// runs exactly what users run.
type app struct {
	cfg     *config.Config
	logger  *slog.Logger
	clock   clockwork.Clock
	started time.Time
	db      *gorm.DB
	auth    *auth.Service
	pretix  *pretix.Service
	hubspot *hubspot.Service
	sched   *scheduler.Scheduler
	runner  *datasync.Runner
	metrics *metrics.Metrics // nil without --metrics-addr
	// marketing is the events' marketing event settings (the demo turns them on).
	marketing *hubspotsync.MarketingService
	handler   http.Handler
	closers   []func()
}

// Close releases what newApp opened, newest first.
func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// newApp wires config → database → services → scheduler jobs → HTTP
// handler; run starts them.
func newApp(cfg *config.Config, logger *slog.Logger, clock clockwork.Clock) (_ *app, err error) {
	a := &app{cfg: cfg, logger: logger, clock: clock, started: time.Now()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fserr.Describe("create data directory", cfg.DataDir, err)
	}
	if st, err := os.Stat(cfg.DataDir); err == nil && st.Mode().Perm()&0o077 != 0 {
		// The database holds password hashes and the sealed tokens; the key
		// file is 0600 already, but the directory should not be readable
		// by others either.
		logger.Warn("the data directory can be read by other users; restrict it with chmod 700",
			"data_dir", cfg.DataDir, "mode", st.Mode().Perm().String())
	}
	box, err := secret.LoadOrCreate(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	db, err := models.Open(cfg.DatabasePath())
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { models.Close(db) })
	if err := checkKey(db, box, cfg, logger); err != nil {
		return nil, err
	}

	// The runtime reads GOMEMLIMIT from the real environment; when it is
	// set, the operator's limit stays.
	mem := memlimit.Start(int64(cfg.MemoryLimitMiB)<<20, os.Getenv)
	hashParams := auth.DefaultHashParams
	hashParams.Memory = uint32(cfg.PasswordHashMemoryMiB) * 1024
	authSvc := auth.NewService(db, clock, config.SessionTTL,
		auth.WithHasher(auth.DefaultHasher(hashParams, cfg.PasswordHashConcurrency).ReservingMemory(mem)))
	// The engine records when an event's HubSpot sync became usable; the
	// registry needs the provider, which needs the HubSpot service, so the
	// service reaches the registry through this variable.
	var providers *datasync.Providers
	// Metrics only with --metrics-addr: without it the hooks stay nil.
	var mx *metrics.Metrics
	var onRequest func(int64, string, int, time.Duration)
	var onRound func(datasync.RoundStats)
	var onPull func(int64, pretix.PullResult, time.Duration, error)
	var onWebhook func(string)
	if cfg.MetricsAddr != "" {
		mx = metrics.New(db)
		onRequest, onWebhook = mx.OnHubSpotRequest, mx.OnWebhook
	}
	// The run history: one row per sync run and per pull (Sync activity).
	history := datasync.NewHistory(db, clock, logger, time.Duration(cfg.HistoryDays)*24*time.Hour)
	onRound = func(st datasync.RoundStats) {
		history.RecordRound(st)
		if mx != nil {
			mx.OnRound(st)
		}
	}
	onPull = func(org int64, res pretix.PullResult, took time.Duration, err error) {
		history.RecordPull(org, res, took, err)
		if mx != nil {
			mx.OnPull(org, res, took, err)
		}
	}
	hubspotSvc := hubspot.NewService(hubspot.Options{
		DB: db, Box: box, Clock: clock, Logger: logger,
		APIBaseURL: cfg.HubSpotAPIBase, AppBaseURL: cfg.HubSpotAppBase,
		// Another app base than HubSpot's is an emulator: its record pages
		// answer the links (the demo, the browser tests).
		RecordLinksToAppBase: cfg.HubSpotAppBase != "" && cfg.HubSpotAppBase != hubspot.DefaultAppBaseURL,
		RedirectURL:          cfg.BaseURL.String() + "/oauth/hubspot/callback",
		ClientID:             cfg.HubSpotClientID, ClientSecret: cfg.HubSpotClientSecret,
		OnRequest: onRequest,
		OnActivated: func(ctx context.Context, eventID int64) error {
			return providers.Activate(ctx, eventID, hubspotsync.ProviderName)
		},
	})

	sched, err := scheduler.New(clock, logger)
	if err != nil {
		return nil, err
	}
	if err := sched.Every("sessions.cleanup", time.Hour, func(ctx context.Context) error {
		_, err := authSvc.DeleteExpired(ctx)
		return err
	}); err != nil {
		return nil, err
	}

	if err := sched.Every("history.sweep", 6*time.Hour, func(ctx context.Context) error {
		_, err := history.Sweep(ctx)
		return err
	}); err != nil {
		return nil, err
	}

	// Idle portals get their access token renewed too, so a long-unused
	// connection is found dead (needs reconnect) before a sync needs it.
	if err := sched.Every("hubspot.refresh_tokens", 5*time.Minute, func(ctx context.Context) error {
		return hubspotSvc.RefreshExpiring(ctx, 10*time.Minute)
	}); err != nil {
		return nil, err
	}

	// The sync engine: a durable queue, the HubSpot provider and a worker
	// that runs within moments of a poke (webhook, Sync now, Retry) besides
	// the loop.
	policy := datasync.DefaultRetryPolicy
	policy.MaxAttempts = cfg.SyncMaxAttempts
	queue := datasync.NewQueue(db, clock, policy, newRand())
	hubspotProvider := hubspotsync.New(hubspotsync.Options{
		DB: db, Portals: hubspotSvc, Clock: clock, Logger: logger, MaxAttempts: policy.MaxAttempts})
	syncProviders := []datasync.Provider{hubspotProvider}
	providers = datasync.NewProviders(db, clock, syncProviders)
	host, _ := os.Hostname()
	// Rounds of datasync.DefaultBatchSize orders; orders from webhooks and
	// Sync now form rounds of their own (the live lane).
	runner := datasync.NewRunner(db, queue, clock, logger, syncProviders, datasync.RunnerOptions{
		Owner:   datasync.NewOwner(host, os.Getpid(), newRand()).String(),
		OnRound: onRound,
	})
	syncEnqueuer := datasync.NewEnqueuer(db, queue, runner.Poke, logger)
	syncStatus := datasync.NewStatus(db, queue, clock, syncProviders, runner.Poke)

	// New and changed orders (pulled, or named by a webhook) go through the
	// enqueue rules, which poke the worker.
	pretixSvc := pretix.NewService(pretix.Config{DB: db, Box: box, Clock: clock, Listener: syncEnqueuer, Log: logger,
		OnPull: onPull, OnWebhook: onWebhook})
	if mx != nil {
		mx.Watch(hubspotSvc.Governor())
		a.metrics = mx
	}
	a.closers = append(a.closers, pretixSvc.Close)
	// A person's sync sends what pretix holds now: the orders are read again.
	syncEnqueuer.RefreshWith(pretixSvc)
	syncStatus.RefreshWith(pretixSvc)
	// The loop: pull every organizer's changed orders, then sync what is
	// due. Scheduler jobs never overlap themselves, and the runner's lock
	// keeps the loop's run and the worker's apart.
	if err := sched.Cron("loop", cfg.SyncCron, func(ctx context.Context) error {
		if err := pretixSvc.Pull(ctx); err != nil {
			// Each organizer's failure shows on its page; sync the rest anyway.
			logger.Warn("pretix pull", "err", err)
		}
		return runner.RunOnce(ctx)
	}); err != nil {
		return nil, err
	}
	// With 45 s leases, a sweep every 15 s returns a job whose worker died
	// unseen (on another machine) within a minute.
	if err := sched.Every("sync.sweep", 15*time.Second, func(ctx context.Context) error {
		n, err := queue.Sweep(ctx)
		if n > 0 {
			runner.Poke()
		}
		return err
	}); err != nil {
		return nil, err
	}

	// Alerts: each change of an event's problems, a connection needing
	// reconnect or a portal at its daily limit is announced once.
	alertSvc := alerts.New(alerts.Options{DB: db, Box: box, Clock: clock, Logger: logger, BaseURL: cfg.BaseURL.String(),
		Probes: []alerts.Probe{alerts.ProblemsProbe(syncStatus), alerts.ReconnectProbe(db, hubspotSvc), alerts.DailyLimitProbe(hubspotSvc.Governor())}})
	if err := sched.Every("alerts.check", 30*time.Second, alertSvc.Check); err != nil {
		return nil, err
	}

	mappingSvc := mapping.NewService(mapping.Options{DB: db, Portals: hubspotSvc, Convert: hubspotsync.Convert, Clock: clock,
		OnChange: func(ctx context.Context, eventID int64) {
			syncEnqueuer.SetupChanged(ctx, eventID, hubspotsync.ProviderName)
		}})

	marketingSvc := hubspotsync.NewMarketingService(db, hubspotSvc, clock, func(ctx context.Context, eventID int64) {
		syncEnqueuer.SetupChanged(ctx, eventID, hubspotsync.ProviderName)
	})
	syncEnqueuer.FollowAllChanges(hubspotsync.ProviderName, marketingSvc.EventsFollowingChanges)

	a.handler = api.New(api.Deps{Config: cfg, Logger: logger, Clock: clock, Auth: authSvc, UI: uiFS(), HubSpot: hubspotSvc,
		ProbeWrite: func(ctx context.Context, now time.Time) error { return models.ProbeWrite(ctx, db, now) },
		Providers:  providers, Mappings: mappingSvc, Pretix: pretixSvc, SyncStatus: syncStatus, SyncNow: syncEnqueuer,
		SyncBulk:  datasync.NewBulk(db, syncEnqueuer, pretixSvc, clock, syncProviders...),
		Marketing: marketingSvc, History: history, WritePlans: hubspotProvider, Alerts: alertSvc})

	a.db, a.auth, a.pretix, a.hubspot, a.sched, a.runner, a.marketing = db, authSvc, pretixSvc, hubspotSvc, sched, runner, marketingSvc
	return a, nil
}

// run serves HTTP on ln, starts the scheduler and the sync worker, and
// shuts them down when ctx ends.
func (a *app) run(ctx context.Context, ln net.Listener) error {
	cfg, logger, sched, runner, started := a.cfg, a.logger, a.sched, a.runner, a.started
	// The metrics address is taken first: when it is busy nothing starts.
	var mln net.Listener
	if a.metrics != nil {
		var err error
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr %s: %w (is the port in use? choose another, or leave it empty for no metrics)", cfg.MetricsAddr, err)
		}
	}
	// ReadTimeout bounds a slow body too (the API's bodies are at most 1 MB),
	// so a client that trickles bytes cannot hold connections open.
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	sched.Start()
	workCtx, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	workDone := make(chan struct{})
	go func() { defer close(workDone); runner.Work(workCtx) }()
	runner.Poke() // what the last process left due starts at once
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	var msrv *http.Server
	if mln != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.metrics.Handler())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}
		go func() { errc <- msrv.Serve(mln) }()
		logger.Info("metrics are served", "url", "http://"+mln.Addr().String()+"/metrics")
	}
	logger.Info("pretix-hubspot is ready", "url", cfg.BaseURL.String(), "listen", ln.Addr().String(),
		"data_dir", cfg.DataDir, "version", version, "startup_ms", time.Since(started).Milliseconds())

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		logger.Warn("HTTP shutdown", "err", err)
	}
	if msrv != nil {
		_ = msrv.Shutdown(shutCtx)
	}
	// A sync run in progress stops at its next HubSpot call and hands its
	// jobs back. Nothing is lost, and running them again is safe: every
	// write is preceded by a read.
	stopWork()
	if err := sched.Shutdown(); err != nil {
		logger.Warn("scheduler shutdown", "err", err)
	}
	select {
	case <-workDone:
	case <-shutCtx.Done():
		logger.Warn("sync worker did not stop in time")
	}
	return nil
}

// checkKey stops the start when the key cannot open what the database holds
// (every page with a token would fail otherwise), unless the operator said
// the old key is lost; then what it cannot open is erased, to be entered
// again.
func checkKey(db *gorm.DB, box *secret.Box, cfg *config.Config, logger *slog.Logger) error {
	err := keycheck.Verify(db, box)
	if err == nil || !errors.Is(err, keycheck.ErrWrongKey) {
		return err
	}
	source := "the key file " + filepath.Join(cfg.DataDir, secret.KeyFile)
	if cfg.SecretKey != "" {
		source = "the key given by --secret-key / " + config.EnvName("secret-key")
	}
	if !cfg.ForgetSecrets {
		return fmt.Errorf("%w: the tokens stored in %s were sealed with another key than %s. "+
			"Start with the key this data directory was created with (its secret.key from a backup, or the --secret-key you used before). "+
			"If that key is lost, start once with --forget-secrets: the stored pretix and HubSpot tokens are erased, "+
			"everything else is kept, and you enter the tokens again", keycheck.ErrWrongKey, cfg.DatabasePath(), source)
	}
	f, err := keycheck.Forget(db, box)
	if err != nil {
		return err
	}
	logger.Warn("--forget-secrets: erased the secrets the current key cannot open; enter them again",
		"pretix_tokens", f.PretixTokens, "hubspot_connections", f.HubSpotConnections, "hubspot_app_secrets", f.AppSecrets,
		"webhook_urls_to_renew", f.WebhookSecrets)
	return nil
}

// newRand returns a randomly seeded source for the retry jitter.
func newRand() *rand.Rand {
	var seed [16]byte
	_, _ = crand.Read(seed[:])
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
}
