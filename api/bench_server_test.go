package api

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/auth"
	"pretix-hubspot/config"
	"pretix-hubspot/datasync"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
	"pretix-hubspot/secret"
)

// benchDB opens a database in a temp dir with n seeded orders in one event
// (benchSeedOrders); it is closed when the benchmark ends.
func benchDB(b *testing.B, n int) *gorm.DB {
	b.Helper()
	db, err := models.Open(filepath.Join(b.TempDir(), "db.sqlite"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { models.Close(db) })
	benchSeedOrders(b, db, n)
	return db
}

// benchAPI is the real router on db over HTTP on real time, with a signed-in
// client: what the browser's requests go through.
type benchAPI struct {
	url    string
	client *http.Client
	queue  *datasync.Queue
}

// newBenchAPI serves the API on db for the given sync providers (nil for
// none); everything is stopped when the benchmark ends.
func newBenchAPI(b *testing.B, db *gorm.DB, providers []datasync.Provider) *benchAPI {
	b.Helper()
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	clock := clockwork.NewRealClock()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	px := pretix.NewService(pretix.Config{DB: db, Box: box, Log: logger})
	b.Cleanup(px.Close)
	q := datasync.NewQueue(db, clock, datasync.DefaultRetryPolicy, rand.New(rand.NewPCG(1, 2)))
	srv := httptest.NewUnstartedServer(nil)
	cfg, err := config.Load([]string{"--addr", srv.Listener.Addr().String()}, func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = New(Deps{Config: cfg, Logger: logger, Providers: datasync.NewProviders(db, clock, providers),
		ProbeWrite: func(ctx context.Context, now time.Time) error { return models.ProbeWrite(ctx, db, now) }, Clock: clock,
		Auth: auth.NewService(db, clock, config.SessionTTL), UI: testUI, Pretix: px, SyncStatus: datasync.NewStatus(db, q, clock, providers, nil)})
	srv.Start()
	b.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	benchSignUp(b, client, srv.URL)
	return &benchAPI{url: srv.URL, client: client, queue: q}
}
