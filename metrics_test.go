package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"pretix-hubspot/fakes/world"
)

// signIn signs in to a running app as the demo admin (the process tests'
// browser), failing the test on any answer that is not 2xx.
func signIn(t *testing.T, base string) *apiClient {
	t.Helper()
	b := newBrowser(t, base)
	a := &apiClient{t: t, b: b}
	a.call("POST", "/api/login", map[string]string{"username": demoUser, "password": demoPassword}, nil)
	var sess struct {
		Data struct {
			CSRF string `json:"csrf_token"`
		} `json:"data"`
	}
	a.call("GET", "/api/session", nil, &sess)
	b.csrf = sess.Data.CSRF
	return a
}

type apiClient struct {
	t *testing.T
	b *browser
}

func (a *apiClient) call(method, path string, body, out any) {
	a.t.Helper()
	if st := a.b.do(a.t, method, path, body, out); st < 200 || st >= 300 {
		a.t.Fatalf("%s %s: %d", method, path, st)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestMetricsAfterAScriptedRun runs the app as main.go wires it (the
// demo's emulators behind it) with --metrics-addr: a pull, a webhook order
// and a Sync now through the API, then a scrape. The HubSpot request count
// must equal what the emulator counted; the app's own listener has no
// metrics.
func TestMetricsAfterAScriptedRun(t *testing.T) {
	maddr := freeAddr(t)
	opts := demoOptions{Addr: "127.0.0.1:0", Orders: 3, Seed: 5, Password: demoPassword, Latency: false}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := func(k string) string {
		if k == "PRETIX_HUBSPOT_METRICS_ADDR" {
			return maddr
		}
		return ""
	}
	d, err := startDemo(ctx, opts, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; d.Close() })
	waitUntil(t, "the first pull", func() bool { return d.storedOrders(t) > 0 })

	a := signIn(t, d.url)
	ev := "/api/organizers/" + world.Organizer + "/events/conf2026"
	a.call("PUT", ev+"/plugins/hubspot", map[string]bool{"enabled": true}, nil)
	a.call("POST", ev+"/hubspot/token", map[string]string{"token": world.HubSpotStaticToken, "hub_id": fmt.Sprint(d.world.HubSpotHubs[0])}, nil)
	a.call("POST", ev+"/mappings/suggestion", nil, nil)
	// An order through the webhook, then Sync now.
	o, err := d.world.PlaceOrder("conf2026")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the webhook's order", func() bool {
		_, err := d.app.pretix.FindOrder(ctx, d.org.ID, "conf2026", o.Code)
		return err == nil
	})
	a.call("POST", ev+"/orders/"+o.Code+"/sync", nil, nil)
	var box struct {
		Data struct {
			Providers []struct {
				Job     any   `json:"job"`
				Results []any `json:"results"`
			} `json:"providers"`
		} `json:"data"`
	}
	waitUntil(t, "the order synced", func() bool {
		a.call("GET", ev+"/orders/"+o.Code+"/sync", nil, &box)
		return len(box.Data.Providers) == 1 && box.Data.Providers[0].Job == nil && len(box.Data.Providers[0].Results) > 0
	})

	// A pull as the loop runs it (it joins one still going on).
	if _, err := d.app.pretix.PullOrganizer(ctx, d.org.ID); err != nil {
		t.Fatal(err)
	}

	// The app's own listener: no metrics there.
	res, err := http.Get(d.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(res.Body)
	res.Body.Close()
	if strings.Contains(page.String(), "pretix_hubspot_") {
		t.Fatal("the app's listener serves metrics")
	}
	res, err = http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(name string, match func(map[string]string) bool) float64 {
		total := 0.0
		if f := fams[name]; f != nil {
			for _, m := range f.Metric {
				labels := map[string]string{}
				for _, lp := range m.Label {
					labels[lp.GetName()] = lp.GetValue()
				}
				if match(labels) {
					total += m.GetCounter().GetValue()
				}
			}
		}
		return total
	}
	all := func(map[string]string) bool { return true }
	if got, want := sum("pretix_hubspot_hubspot_requests_total", all), float64(d.world.HubSpot.Stats().Total); got != want || got == 0 {
		t.Errorf("HubSpot requests: metrics %v, emulator %v", got, want)
	}
	if got := sum("pretix_hubspot_sync_orders_total", func(l map[string]string) bool { return l["outcome"] == "done" }); got < 1 {
		t.Errorf("orders done: %v", got)
	}
	if got := sum("pretix_hubspot_sync_objects_total", func(l map[string]string) bool { return l["action"] == "created" }); got < 1 {
		t.Errorf("records created: %v", got)
	}
	if got := sum("pretix_hubspot_pretix_pulls_total", func(l map[string]string) bool { return l["organizer"] == world.Organizer && l["result"] == "ok" }); got < 1 {
		t.Errorf("pulls: %v", got)
	}
	if got := sum("pretix_hubspot_pretix_webhook_deliveries_total", func(l map[string]string) bool { return l["status"] == "queued" }); got < 1 {
		t.Errorf("webhooks queued: %v", got)
	}
}
