package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"pretix-hubspot/alerts"
	"pretix-hubspot/auth"
	"pretix-hubspot/config"
	"pretix-hubspot/datasync"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/hubspotsync/mapping"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
	"pretix-hubspot/pretixapi"
	"pretix-hubspot/secret"
)

// testUI stands in for the built front end.
var testUI = fstest.MapFS{
	"index.html":        {Data: []byte("<!doctype html><title>pretix-hubspot</title><div id=app></div>")},
	"assets/app-abc.js": {Data: []byte("console.log(1)")},
	"favicon.svg":       {Data: []byte("<svg/>")},
}

// testEnv is the real router on a real temp database, served over HTTP.
type testEnv struct {
	t      *testing.T
	srv    *httptest.Server
	client *http.Client
	csrf   string
	clock  *clockwork.FakeClock
	db     *gorm.DB
	// hubspot is wired to hsFake, the HubSpot emulator served at hsURL on
	// the same fake clock; the app's client id/secret are not set.
	hubspot *hubspot.Service
	hsFake  *hubspotfake.Server
	hsURL   string
	// pretix is wired to pxFake, the pretix emulator served at pxURL with
	// organizer pxOrganizer (token pxToken, all permissions) and the events
	// conf2026 and workshops without orders; it runs on the real clock
	// (retries wait on it) without pacing.
	pretix *pretix.Service
	pxFake *pretixfake.Server
	pxURL  string
	// queue and runner are the sync engine on the fake clock; the runner
	// does not work in the background: tests call runner.RunOnce. pokes
	// counts how often the worker was woken (Sync now, Retry).
	queue     *datasync.Queue
	runner    *datasync.Runner
	providers *datasync.Providers
	pokes     *atomic.Int32
	// alerts checks conditions when a test calls Check.
	alerts *alerts.Service
}

const (
	pxOrganizer = "democon"
	pxToken     = "px-token-5c1e9a7d3b2f"
)

// newTestEnv builds the app; extra providers sync beside HubSpot.
func newTestEnv(t *testing.T, extra ...datasync.Provider) *testEnv {
	t.Helper()
	db, err := models.Open(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	clock := clockwork.NewFakeClock()
	srv := httptest.NewUnstartedServer(nil)
	addr := srv.Listener.Addr().String()
	cfg, err := config.Load([]string{"--addr", addr}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hsFake := hubspotfake.New(hubspotfake.Options{Clock: clock})
	hsSrv := httptest.NewServer(hsFake.Handler())
	t.Cleanup(hsSrv.Close)
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	var reg *datasync.Providers
	hs := hubspot.NewService(hubspot.Options{DB: db, Box: box, Clock: clock, Logger: logger,
		APIBaseURL: hsSrv.URL, AppBaseURL: hsSrv.URL, RedirectURL: cfg.BaseURL.String() + "/oauth/hubspot/callback",
		Rand: rand.New(rand.NewPCG(1, 2)), NoHedging: true, // a fake clock
		OnActivated: func(ctx context.Context, eventID int64) error {
			return reg.Activate(ctx, eventID, hubspotsync.ProviderName)
		}})
	pxFake := pretixfake.New(pretixfake.Options{NoRateLimit: true})
	t.Cleanup(pxFake.Close)
	pxFake.AddOrganizer(pxOrganizer, "DemoCon Events")
	if err := pxFake.AddToken(pxOrganizer, pxToken, pretixfake.Team{AllEvents: true, CanViewOrders: true, CanChangeEventSettings: true}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []struct {
		slug string
		spec pretixfake.EventSpec
	}{
		{"conf2026", pretixfake.EventSpec{Name: pretixfake.LocalizedString{"en": "DemoCon 2026", "de": "DemoCon 2026"}, NameScheme: "title_given_family"}},
		{"workshops", pretixfake.EventSpec{Name: pretixfake.LocalizedString{"en": "Workshop series"}, HasSubevents: true}},
	} {
		if err := pxFake.SeedEvent(pxOrganizer, ev.slug, ev.spec); err != nil {
			t.Fatal(err)
		}
	}
	pxSrv := httptest.NewServer(pxFake.Handler())
	t.Cleanup(pxSrv.Close)
	queue := datasync.NewQueue(db, clock, datasync.DefaultRetryPolicy, rand.New(rand.NewPCG(3, 4)))
	hubspotProvider := hubspotsync.New(hubspotsync.Options{DB: db, Portals: hs, Clock: clock, Logger: logger})
	providers := append([]datasync.Provider{hubspotProvider}, extra...)
	// As in main.go, runs and pulls go into the run history.
	history := datasync.NewHistory(db, clock, logger, 0)
	runner := datasync.NewRunner(db, queue, clock, logger, providers, datasync.RunnerOptions{Owner: "api-test", OnRound: history.RecordRound})
	reg = datasync.NewProviders(db, clock, providers)
	pokes := &atomic.Int32{}
	poke := func() { pokes.Add(1) }
	enq := datasync.NewEnqueuer(db, queue, poke, logger)
	// As in main.go, stored orders go through the enqueue rules.
	px := pretix.NewService(pretix.Config{DB: db, Box: box, Log: logger, RateLimit: -1, PasswordCost: bcrypt.MinCost, Listener: enq, OnPull: history.RecordPull,
		ClientOptions: []pretixapi.Option{pretixapi.WithRetry(3, time.Millisecond, 5*time.Millisecond)}})
	t.Cleanup(px.Close)
	status := datasync.NewStatus(db, queue, clock, providers, poke)
	enq.RefreshWith(px)
	status.RefreshWith(px)
	marketing := hubspotsync.NewMarketingService(db, hs, clock, func(ctx context.Context, eventID int64) { enq.SetupChanged(ctx, eventID, hubspotsync.ProviderName) })
	enq.FollowAllChanges(hubspotsync.ProviderName, marketing.EventsFollowingChanges)
	alertSvc := alerts.New(alerts.Options{DB: db, Box: box, Clock: clock, Logger: logger, BaseURL: cfg.BaseURL.String(),
		Probes: []alerts.Probe{alerts.ProblemsProbe(status), alerts.ReconnectProbe(db, hs), alerts.DailyLimitProbe(hs.Governor())}})
	srv.Config.Handler = New(Deps{Config: cfg, Logger: logger, Clock: clock, Providers: reg, Alerts: alertSvc,
		ProbeWrite: func(ctx context.Context, now time.Time) error { return models.ProbeWrite(ctx, db, now) },
		Auth:       auth.NewService(db, clock, config.SessionTTL, auth.WithHashParams(auth.HashParams{Time: 1, Memory: 1024, Threads: 1})), UI: testUI, HubSpot: hs,
		Mappings: mapping.NewService(mapping.Options{DB: db, Portals: hs, Convert: hubspotsync.Convert, Clock: clock,
			OnChange: func(ctx context.Context, eventID int64) { enq.SetupChanged(ctx, eventID, hubspotsync.ProviderName) }}),
		Pretix: px, SyncStatus: status, SyncNow: enq,
		SyncBulk: datasync.NewBulk(db, enq, px, clock, providers...), WritePlans: hubspotProvider,
		Marketing: marketing, History: history})
	srv.Start()
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &testEnv{t: t, srv: srv, client: &http.Client{Jar: jar}, clock: clock, db: db,
		hubspot: hs, hsFake: hsFake, hsURL: hsSrv.URL, pretix: px, pxFake: pxFake, pxURL: pxSrv.URL,
		queue: queue, runner: runner, providers: reg, pokes: pokes, alerts: alertSvc}
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	return m
}

// do sends a request; body is JSON-encoded when not nil. The CSRF token
// fetched by refreshCSRF is sent on unsafe methods unless noCSRF.
func (e *testEnv) do(method, path string, body any, hdr map[string]string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.csrf != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", e.csrf)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// refreshCSRF reads the session state and remembers its CSRF token.
func (e *testEnv) refreshCSRF() map[string]any {
	e.t.Helper()
	r := e.do("GET", "/api/session", nil, nil)
	if r.Status != 200 {
		e.t.Fatalf("session state: %d %s", r.Status, r.Body)
	}
	data := r.json(e.t)["data"].(map[string]any)
	e.csrf, _ = data["csrf_token"].(string)
	return data
}

// signUp creates the admin and keeps the session.
func (e *testEnv) signUp() {
	e.t.Helper()
	e.refreshCSRF()
	r := e.do("POST", "/api/setup", map[string]string{"username": "admin", "password": "correct horse battery"}, nil)
	if r.Status != 200 {
		e.t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	e.csrf = r.json(e.t)["data"].(map[string]any)["csrf_token"].(string)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
