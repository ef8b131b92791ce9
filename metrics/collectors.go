package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

var (
	jobsDesc = prometheus.NewDesc(ns+"_sync_jobs", "Queued syncs by event (organizer/event) and state: pending, waiting, in_flight, failed.",
		[]string{"event", "provider", "state"}, nil)
	pullLagDesc = prometheus.NewDesc(ns+"_pretix_pull_lag_seconds", "Time since the organizer's last successful pull from pretix.",
		[]string{"organizer"}, nil)
	scrapeErrDesc = prometheus.NewDesc(ns+"_scrape_database_errors", "1 when the database could not be read for this scrape.", nil, nil)

	budgetDesc = prometheus.NewDesc(ns+"_hubspot_budget_remaining", "Requests left in the portal's rolling window, as HubSpot last reported (X-HubSpot-RateLimit-Remaining).",
		[]string{"portal"}, nil)
	dailyDesc = prometheus.NewDesc(ns+"_hubspot_daily_remaining", "Requests left of the portal's daily limit, where HubSpot reports it.",
		[]string{"portal"}, nil)
	dailyLimitDesc = prometheus.NewDesc(ns+"_hubspot_daily_limit", "The portal's daily request limit, where HubSpot reports it (private apps).",
		[]string{"portal"}, nil)
	sentDesc = prometheus.NewDesc(ns+"_hubspot_governor_sent_total", "Requests the rate-limit governor let through to the portal.",
		[]string{"portal"}, nil)
	limitedDesc = prometheus.NewDesc(ns+"_hubspot_rate_limited_total", "429 answers (rate-limit waits) from the portal.",
		[]string{"portal"}, nil)
	pausedDesc = prometheus.NewDesc(ns+"_hubspot_paused", "1 while the portal is paused (daily limit reached, or a rate-limit pause).",
		[]string{"portal", "reason"}, nil)
)

// dbCollector reads the queue and the pull state at scrape time: two
// grouped queries, whatever the number of jobs.
type dbCollector struct {
	db *gorm.DB
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- pullLagDesc
	ch <- scrapeErrDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := scrapeContext()
	defer cancel()
	now := time.Now().UTC()
	var rows []struct {
		Org, Event, Provider, State string
		Waiting                     bool
		N                           int64
	}
	err := c.db.WithContext(ctx).Raw(`SELECT o.slug AS org, e.slug AS event, j.provider, j.state,
			(j.state = ? AND j.not_before > ?) AS waiting, COUNT(*) AS n
		FROM sync_jobs j JOIN pretix_events e ON e.id = j.event_id JOIN pretix_organizers o ON o.id = e.organizer_id
		GROUP BY o.slug, e.slug, j.provider, j.state, waiting`, models.JobPending, now).Scan(&rows).Error
	failed := 0.0
	if err != nil {
		failed = 1
	}
	for _, r := range rows {
		state := r.State
		if r.Waiting {
			state = "waiting"
		}
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(r.N), r.Org+"/"+r.Event, r.Provider, state)
	}
	var orgs []models.PretixOrganizer
	if err := c.db.WithContext(ctx).Select("slug", "last_pull_success_at").Find(&orgs).Error; err != nil {
		failed = 1
	}
	for _, o := range orgs {
		if o.LastPullSuccessAt != nil {
			ch <- prometheus.MustNewConstMetric(pullLagDesc, prometheus.GaugeValue, now.Sub(*o.LastPullSuccessAt).Seconds(), o.Slug)
		}
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, failed)
}

// governorCollector reports each portal's budget as the governor knows it.
type governorCollector struct {
	gov *hubspot.Governor
}

func (c *governorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{budgetDesc, dailyDesc, dailyLimitDesc, sentDesc, limitedDesc, pausedDesc} {
		ch <- d
	}
}

func (c *governorCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	for _, st := range c.gov.States() {
		portal := strconv.FormatInt(st.HubID, 10)
		if st.Remaining >= 0 {
			ch <- prometheus.MustNewConstMetric(budgetDesc, prometheus.GaugeValue, float64(st.Remaining), portal)
		}
		if st.DailyRemaining >= 0 {
			ch <- prometheus.MustNewConstMetric(dailyDesc, prometheus.GaugeValue, float64(st.DailyRemaining), portal)
		}
		if st.DailyLimit > 0 {
			ch <- prometheus.MustNewConstMetric(dailyLimitDesc, prometheus.GaugeValue, float64(st.DailyLimit), portal)
		}
		ch <- prometheus.MustNewConstMetric(sentDesc, prometheus.CounterValue, float64(st.Sent), portal)
		ch <- prometheus.MustNewConstMetric(limitedDesc, prometheus.CounterValue, float64(st.RateLimited), portal)
		if st.PausedUntil.After(now) {
			ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, 1, portal, st.Reason)
		}
	}
}
