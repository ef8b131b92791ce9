package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"pretix-hubspot/fakes/world"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/models"
)

// startTestDemo starts the demo wiring on a free port and serves it until
// the test ends (or stop is called).
func startTestDemo(t *testing.T, o demoOptions) (d *demo, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := startDemo(ctx, o, func(string) string { return "" }, io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	var once bool
	stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo run: %v", err)
		}
		d.Close()
	}
	t.Cleanup(stop)
	return d, stop
}

// waitUntil polls cond for up to 15 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *demo) storedOrders(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := d.app.db.Model(&models.PretixOrder{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDemoWiring(t *testing.T) {
	dir := t.TempDir()
	opts := demoOptions{Addr: "127.0.0.1:0", DataDir: dir, Orders: 4, Seed: 3, Password: demoPassword}
	d, stop := startTestDemo(t, opts)
	ctx := context.Background()

	// The admin signs in with the printed password.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := c.Get(d.url + "/api/session")
	if err != nil {
		t.Fatal(err)
	}
	var sess struct {
		Data struct {
			CSRF string `json:"csrf_token"`
		} `json:"data"`
	}
	json.NewDecoder(res.Body).Decode(&sess)
	res.Body.Close()
	body, _ := json.Marshal(map[string]string{"username": demoUser, "password": demoPassword})
	req, _ := http.NewRequest("POST", d.url+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", sess.Data.CSRF)
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("login with the demo password: %d", res.StatusCode)
	}

	// The organizer is connected with both events, and the first pull
	// stores every generated order.
	orgs, err := d.app.pretix.List(ctx)
	if err != nil || len(orgs) != 1 || orgs[0].Slug != world.Organizer || orgs[0].Events != 2 {
		t.Fatalf("organizers %+v %v", orgs, err)
	}
	waitUntil(t, "the first pull", func() bool { return d.storedOrders(t) == 2*4 })

	// Marketing events are on for both events, with a type each.
	evs, err := d.app.pretix.ListEvents(ctx, orgs[0].ID)
	if err != nil || len(evs) != 2 {
		t.Fatalf("events %+v %v", evs, err)
	}
	eventID := map[string]int64{}
	for _, ev := range evs {
		eventID[ev.Slug] = ev.ID
		waitUntil(t, "marketing events on for "+ev.Slug, func() bool {
			v, err := d.app.marketing.Get(ctx, ev.ID)
			return err == nil && v.Enabled && v.EventType != ""
		})
	}
	// The admin turns them off for the conference; a restart keeps that.
	if _, err := d.app.marketing.Save(ctx, eventID["conf2026"], hubspotsync.MarketingInput{EmailFrom: "attendee", RegisterOn: "placed"}); err != nil {
		t.Fatal(err)
	}

	// HubSpot's Request access uses the emulator's app.
	as, err := d.app.hubspot.AppSettings(ctx)
	if err != nil || !as.FromEnv || as.ClientID != world.HubSpotClientID {
		t.Errorf("HubSpot app settings %+v %v", as, err)
	}

	// A buyer's order arrives through the pretix webhook, without a pull.
	o, err := d.world.PlaceOrder("conf2026")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the webhook's order", func() bool {
		_, err := d.app.pretix.FindOrder(ctx, orgs[0].ID, "conf2026", o.Code)
		return err == nil
	})
	stop()

	// Started again on the same data directory: the same organizer and
	// admin, now pointed at the new emulators, and buyers keep ordering.
	opts.OrderEvery = 100 * time.Millisecond
	d2, _ := startTestDemo(t, opts)
	orgs2, err := d2.app.pretix.List(ctx)
	if err != nil || len(orgs2) != 1 || orgs2[0].ID != orgs[0].ID || orgs2[0].BaseURL != d2.world.PretixURL+"/" {
		t.Fatalf("organizers after restart %+v %v", orgs2, err)
	}
	before := d2.storedOrders(t)
	waitUntil(t, "orders placed by the ticker", func() bool { return d2.storedOrders(t) >= before+2 })
	if v, err := d2.app.marketing.Get(ctx, eventID["conf2026"]); err != nil || v.Enabled {
		t.Errorf("after the restart the conference's marketing events are %+v, %v; the admin had turned them off", v, err)
	}
}
