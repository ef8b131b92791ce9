package pretix

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixapi"
	"pretix-hubspot/secret"
)

// Config wires a Service.
type Config struct {
	DB       *gorm.DB
	Box      *secret.Box
	Clock    clockwork.Clock // default real
	Listener OrderListener   // default NopListener
	Log      *slog.Logger    // default slog.Default()
	// OnPull and OnWebhook (may be nil) learn about every pull and every
	// webhook notification, for metrics; they must not block. A refused
	// notification's status is "refused".
	OnPull    func(organizerID int64, res PullResult, took time.Duration, err error)
	OnWebhook func(status string)
	// HTTPClient is shared by all pretix clients; default pretixapi.NewHTTPClient().
	HTTPClient *http.Client
	// AllowInsecure accepts http:// pretix URLs beyond localhost.
	AllowInsecure bool
	// RateLimit is the pace per organizer in requests per minute: 0 means
	// pretix.eu's pretixapi.DefaultRateLimit, negative means no pacing (429s are still
	// honoured).
	RateLimit       int
	Overlap         time.Duration // see Puller.Overlap
	CatalogueMaxAge time.Duration // see Puller.CatalogueMaxAge
	// ClientOptions are appended to every client's options (tests use them
	// for fast back-off).
	ClientOptions []pretixapi.Option
	// Random is the source of webhook secrets; default crypto/rand.
	Random io.Reader
	// WebhookWorkers fetch orders named by webhooks; default 2.
	WebhookWorkers int
	// SeenTTL is how long webhook notification ids are remembered; default
	// 7 days (pretix retries for about 3).
	SeenTTL time.Duration
	// PasswordCost is the bcrypt cost for webhook passwords; default
	// bcrypt.DefaultCost (tests lower it).
	PasswordCost int
}

// Service holds the organizer operations and order queries the HTTP layer
// and the scheduler need. Create it with NewService and Close it at
// shutdown.
type Service struct {
	cfg      Config
	db       *gorm.DB
	box      *secret.Box
	clock    clockwork.Clock
	log      *slog.Logger
	http     *http.Client
	ingester *Ingester
	puller   *Puller
	webhooks *WebhookHandler

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu           sync.Mutex
	runs         map[int64]*pullRun
	limiters     map[string]*pretixapi.Limiter
	pending      map[fetchJob]bool // queued webhook fetches
	fetching     int               // webhook fetches running
	fetchChanged chan struct{}     // closed and replaced when pending or fetching change
	fetchQ       chan fetchJob
}

type pullRun struct {
	done   chan struct{}
	cancel context.CancelFunc
	res    PullResult
	err    error
}

// NewService builds the service and starts its webhook workers.
func NewService(cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Listener == nil {
		cfg.Listener = NopListener{}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = pretixapi.NewHTTPClient()
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	if cfg.WebhookWorkers <= 0 {
		cfg.WebhookWorkers = 2
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = bcrypt.DefaultCost
	}
	if cfg.SeenTTL <= 0 {
		cfg.SeenTTL = 7 * 24 * time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg: cfg, db: cfg.DB, box: cfg.Box, clock: cfg.Clock, log: cfg.Log, http: cfg.HTTPClient,
		ctx: ctx, cancel: cancel,
		runs: map[int64]*pullRun{}, limiters: map[string]*pretixapi.Limiter{}, pending: map[fetchJob]bool{},
		fetchQ: make(chan fetchJob, 1024), fetchChanged: make(chan struct{}),
	}
	s.ingester = &Ingester{DB: cfg.DB, Clock: cfg.Clock, Listener: cfg.Listener}
	s.puller = &Puller{DB: cfg.DB, Clock: cfg.Clock, Ingester: s.ingester, Client: s.clientFor,
		Overlap: cfg.Overlap, CatalogueMaxAge: cfg.CatalogueMaxAge, Log: cfg.Log}
	s.webhooks = &WebhookHandler{s: s}
	// A pull that was running when the process stopped never finished; say
	// so instead of showing "running" forever.
	if err := cfg.DB.Model(&models.PretixOrganizer{}).Where("last_pull_status = ?", models.PullStatusRunning).UpdateColumns(map[string]any{
		"last_pull_status": models.PullStatusError, "last_pull_error_code": "pretix_pull_interrupted",
		"last_pull_error": "The previous pull was interrupted (the application stopped); it is repeated at the next run.",
	}).Error; err != nil {
		cfg.Log.Error("reset interrupted pretix pulls", "error", err)
	}
	for i := 0; i < cfg.WebhookWorkers; i++ {
		s.wg.Add(1)
		go s.fetchWorker()
	}
	return s
}

// Close stops pulls and webhook fetches in progress and waits for them.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Ingester returns the service's ingester (for tools and benchmarks).
func (s *Service) Ingester() *Ingester { return s.ingester }

// Puller returns the service's puller.
func (s *Service) Puller() *Puller { return s.puller }

// Webhooks returns the webhook handler for POST /webhooks/pretix/<secret>.
func (s *Service) Webhooks() *WebhookHandler { return s.webhooks }

func (s *Service) limiterFor(base, slug string) *pretixapi.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := base + "|" + slug
	l := s.limiters[key]
	if l == nil {
		rate := s.cfg.RateLimit
		if rate == 0 {
			rate = pretixapi.DefaultRateLimit
		}
		l = pretixapi.NewLimiter(rate, s.clock)
		s.limiters[key] = l
	}
	return l
}

func (s *Service) newClient(base, token, slug string) (*pretixapi.Client, error) {
	opts := []pretixapi.Option{pretixapi.WithOrganizer(slug), pretixapi.WithHTTPClient(s.http), pretixapi.WithClock(s.clock), pretixapi.WithAllowInsecure(s.cfg.AllowInsecure), pretixapi.WithLogger(s.log)}
	if u, err := pretixapi.NormalizeBaseURL(base, s.cfg.AllowInsecure); err == nil {
		opts = append(opts, pretixapi.WithLimiter(s.limiterFor(u.String(), slug)))
	}
	return pretixapi.NewClient(base, token, append(opts, s.cfg.ClientOptions...)...)
}

func (s *Service) clientFor(org *models.PretixOrganizer) (*pretixapi.Client, error) {
	token, err := s.box.Open(org.TokenSealed)
	if err == nil && token == "" {
		err = errors.New("no token stored")
	}
	if err != nil {
		return nil, apperr.New(apperr.KindConflict, "pretix_token_unreadable",
			"No readable pretix API token is stored for this organizer (was the encryption key replaced?). Enter the token again in the organizer's pretix settings.").Wrap(err)
	}
	return s.newClient(org.BaseURL, token, org.Slug)
}

// PullNow starts a pull in the background and returns at once; started is
// false when one is already running for the organizer.
func (s *Service) PullNow(ctx context.Context, id int64) (started bool, err error) {
	if _, err := s.load(ctx, id); err != nil {
		return false, err
	}
	_, started = s.startPull(id)
	return started, nil
}

// PullOrganizer pulls one organizer and waits for the result; it joins a
// pull already running. Canceling ctx stops waiting, not the pull.
func (s *Service) PullOrganizer(ctx context.Context, id int64) (PullResult, error) {
	run, _ := s.startPull(id)
	select {
	case <-run.done:
		return run.res, run.err
	case <-ctx.Done():
		return PullResult{}, ctx.Err()
	}
}

// Pull pulls every organizer, one after the other, for the scheduler. Each
// outcome is recorded on its organizer; the error joins the failures.
func (s *Service) Pull(ctx context.Context) error {
	var ids []int64
	if err := s.db.WithContext(ctx).Model(&models.PretixOrganizer{}).Order("id").Pluck("id", &ids).Error; err != nil {
		return apperr.Internal(err)
	}
	var errs []error
	for _, id := range ids {
		if _, err := s.PullOrganizer(ctx, id); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) startPull(id int64) (*pullRun, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.runs[id]; r != nil {
		return r, false
	}
	ctx, cancel := context.WithCancel(s.ctx)
	r := &pullRun{done: make(chan struct{}), cancel: cancel}
	s.runs[id] = r
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		started := s.clock.Now()
		r.res, r.err = s.puller.Pull(ctx, id)
		if s.cfg.OnPull != nil {
			s.cfg.OnPull(id, r.res, s.clock.Since(started), r.err)
		}
		cancel()
		s.mu.Lock()
		delete(s.runs, id)
		s.mu.Unlock()
		close(r.done)
	}()
	return r, true
}
