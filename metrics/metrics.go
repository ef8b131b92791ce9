// Package metrics exposes the app's Prometheus metrics: what the sync
// engine, the HubSpot client and the pretix side report through their
// observer hooks, and gauges read from the database and the rate-limit
// governor when scraped. main.go wires it; nothing else imports it, so the
// engine knows nothing about Prometheus.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"

	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

const ns = "pretix_hubspot"

// Metrics holds the registry and the instruments the hooks feed.
type Metrics struct {
	reg *prometheus.Registry
	db  *gorm.DB

	syncRuns     *prometheus.CounterVec
	syncDuration *prometheus.HistogramVec
	syncOrders   *prometheus.CounterVec
	syncObjects  *prometheus.CounterVec
	hsRequests   *prometheus.CounterVec
	hsDuration   *prometheus.HistogramVec
	pulls        *prometheus.CounterVec
	pullDuration prometheus.Histogram
	pullOrders   *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
}

// New registers every metric. db is read for the job gauges and the pull
// lag at scrape time; Watch adds the portals' budgets.
func New(db *gorm.DB) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), db: db}
	m.syncRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "sync_runs_total",
		Help: "Sync runs (one batch of one event's orders), by provider and lane (live or bulk)."}, []string{"provider", "lane"})
	m.syncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "sync_run_duration_seconds",
		Help: "How long a sync run took, by lane.", Buckets: []float64{.25, .5, 1, 2, 4, 8, 16, 32, 64}}, []string{"lane"})
	m.syncOrders = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "sync_orders_total",
		Help: "Orders a sync run finished, by outcome: done, retry (temporary), waiting, rejected (HubSpot refused it for good), misconfigured, failed (other failures)."},
		[]string{"provider", "outcome"})
	m.syncObjects = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "sync_objects_total",
		Help: "External records a sync run reported, by action: created, updated, nothing_to_do (unchanged), skipped."}, []string{"provider", "action"})
	m.hsRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "hubspot_requests_total",
		Help: "Requests sent to HubSpot, by endpoint (the operation) and HTTP status (0: no answer)."}, []string{"endpoint", "status"})
	m.hsDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "hubspot_request_duration_seconds",
		Help: "How long HubSpot took to answer, by endpoint.", Buckets: []float64{.05, .1, .25, .5, 1, 2, 4, 8}}, []string{"endpoint"})
	m.pulls = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "pretix_pulls_total",
		Help: "Pulls of a pretix organizer's orders, by result (ok or error)."}, []string{"organizer", "result"})
	m.pullDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "pretix_pull_duration_seconds",
		Help: "How long a pull of one organizer took.", Buckets: []float64{.1, .5, 1, 5, 15, 60, 300}})
	m.pullOrders = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "pretix_pull_orders_total",
		Help: "Orders pretix sent in pulls, by organizer."}, []string{"organizer"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "pretix_webhook_deliveries_total",
		Help: "pretix webhook notifications received, by what became of them (queued, duplicate, ignored, noted, refused)."}, []string{"status"})
	m.reg.MustRegister(m.syncRuns, m.syncDuration, m.syncOrders, m.syncObjects, m.hsRequests, m.hsDuration,
		m.pulls, m.pullDuration, m.pullOrders, m.webhooks,
		&dbCollector{db: db},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Watch reports gov's per-portal budget at scrape time.
func (m *Metrics) Watch(gov *hubspot.Governor) { m.reg.MustRegister(&governorCollector{gov: gov}) }

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func lane(live bool) string {
	if live {
		return "live"
	}
	return "bulk"
}

// OnRound is datasync.RunnerOptions.OnRound.
func (m *Metrics) OnRound(st datasync.RoundStats) {
	m.syncRuns.WithLabelValues(st.Provider, lane(st.Live)).Inc()
	m.syncDuration.WithLabelValues(lane(st.Live)).Observe(st.Took.Seconds())
	for mode, n := range st.Modes {
		outcome := "failed"
		switch mode {
		case "permanent":
			outcome = "rejected"
		case "config":
			outcome = "misconfigured"
		}
		m.syncOrders.WithLabelValues(st.Provider, outcome).Add(float64(n))
	}
	for kind, n := range st.Outcomes {
		switch kind {
		case datasync.OutcomeDone:
			m.syncOrders.WithLabelValues(st.Provider, "done").Add(float64(n))
		case datasync.OutcomeTemporary:
			m.syncOrders.WithLabelValues(st.Provider, "retry").Add(float64(n))
		case datasync.OutcomeWait:
			m.syncOrders.WithLabelValues(st.Provider, "waiting").Add(float64(n))
		}
	}
	for action, n := range st.Actions {
		m.syncObjects.WithLabelValues(st.Provider, action).Add(float64(n))
	}
}

// OnHubSpotRequest is hubspot.Options.OnRequest.
func (m *Metrics) OnHubSpotRequest(_ int64, op string, status int, took time.Duration) {
	m.hsRequests.WithLabelValues(op, strconv.Itoa(status)).Inc()
	m.hsDuration.WithLabelValues(op).Observe(took.Seconds())
}

// OnPull is pretix.Config.OnPull; organizers are named by their slug.
func (m *Metrics) OnPull(organizerID int64, res pretix.PullResult, took time.Duration, err error) {
	ctx, cancel := scrapeContext()
	defer cancel()
	org := strconv.FormatInt(organizerID, 10)
	var slug string
	if m.db.WithContext(ctx).Model(&models.PretixOrganizer{}).Where("id = ?", organizerID).Pluck("slug", &slug).Error == nil && slug != "" {
		org = slug
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.pulls.WithLabelValues(org, result).Inc()
	m.pullDuration.Observe(took.Seconds())
	m.pullOrders.WithLabelValues(org).Add(float64(res.Orders))
}

// OnWebhook is pretix.Config.OnWebhook.
func (m *Metrics) OnWebhook(status string) { m.webhooks.WithLabelValues(status).Inc() }

// scrapeTimeout bounds the database reads of one scrape.
const scrapeTimeout = 5 * time.Second

func scrapeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), scrapeTimeout)
}
