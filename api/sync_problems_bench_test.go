package api

import (
	"fmt"
	"testing"
)

// BenchmarkSyncProblemsAPI100k measures the sync screens' reads as the
// browser makes them — HTTP, session, lookup, JSON — with 100,000 stored
// orders that all have a job (a backlog) of which 5,000 are problems: the
// event's problems page (first page, a mode filter, a deep page), the
// organizer's page, the dashboard flag and an order box. It prints the 95th
// percentile over all requests (DESIGN §10: ≤ 50 ms).
func BenchmarkSyncProblemsAPI100k(b *testing.B) {
	db := benchDB(b, 100_000)
	exec := func(q string) {
		if err := db.Exec(q).Error; err != nil {
			b.Fatal(err)
		}
	}
	exec(`INSERT INTO event_providers (event_id, provider, enabled, activated_at, created_at, updated_at)
		SELECT id, 'hubspot', 1, created_at, created_at, created_at FROM pretix_events`)
	// Every 50th order failed for good (two causes), every 100th is retried.
	exec(`INSERT INTO sync_jobs (order_id, event_id, provider, triggered_by, triggered_at, not_before, attempts, state, failure_mode, last_error, updated_at)
		SELECT id, event_id, 'hubspot', 'new_order', datetime, datetime,
			CASE WHEN id % 50 IN (0, 1) THEN 1 WHEN id % 100 = 2 THEN 2 ELSE 0 END,
			CASE WHEN id % 50 IN (0, 1) THEN 'failed' ELSE 'pending' END,
			CASE id % 50 WHEN 0 THEN 'permanent' WHEN 1 THEN 'config' ELSE '' END,
			CASE WHEN id % 50 = 0 THEN 'Email address is invalid' WHEN id % 50 = 1 THEN 'Value map: option missing'
				WHEN id % 100 = 2 THEN 'Bad Gateway' ELSE '' END,
			datetime FROM pretix_orders`)
	// Two records sent for every order, spread over the last 20 days: the
	// dashboard's picture counts them per day.
	exec(`INSERT INTO sync_results (order_id, event_id, mapping_id, provider, object_type, id_property, id_value, external_id, action, transmitted_at)
		SELECT o.id, o.event_id, m.n, 'hubspot', 'contacts', 'email', o.email, CAST(o.id AS TEXT), 'created',
			strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '-' || (o.id % 20) || ' days')
		FROM pretix_orders o, (SELECT 1 AS n UNION ALL SELECT 2) m`)
	exec("ANALYZE")

	srv := newBenchAPI(b, db, nil)
	client := srv.client

	var code string
	if err := db.Raw(`SELECT code FROM pretix_orders WHERE id = 5000`).Scan(&code).Error; err != nil {
		b.Fatal(err)
	}
	ev := srv.url + "/api/organizers/benchorg/events/conf"
	paths := []string{ev + "/sync-problems", ev + "/sync-problems?mode=permanent", ev + "/sync-problems?page=40",
		srv.url + "/api/organizers/benchorg/sync-problems", ev + "/sync-warning", ev + "/orders/" + code + "/sync"}
	want := []byte(`"data":`)
	p95 := benchGETP95(b, client, paths, want)
	if testing.Verbose() {
		for _, p := range paths {
			fmt.Printf("%-80s %v\n", p[len(srv.url):], benchGET(b, client, p, want))
		}
	}
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	fmt.Printf("BENCH api_sync_problems_p95_ms %.1f ms\n", float64(p95.Microseconds())/1000)

	// The dashboard's sync picture over the same 100,000 orders and 200,000
	// records, and the orders list with its sync column.
	summary := benchGETP95(b, client, []string{ev + "/sync-summary"}, []byte(`"days":`))
	if testing.Verbose() {
		fmt.Printf("sync summary %v\n", benchGET(b, client, ev+"/sync-summary", want))
	}
	b.ReportMetric(float64(summary.Microseconds())/1000, "summary-p95-ms")
	fmt.Printf("BENCH api_sync_summary_p95_ms %.1f ms\n", float64(summary.Microseconds())/1000)
}
