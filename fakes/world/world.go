// Package world starts the pretix and HubSpot emulators together, seeded
// with an organizer, events and orders, for the demo, the browser tests and
// anyone who wants to try the app without accounts. It also serves a small
// control API (under /_fake/ on the pretix listener) so tests can place
// orders the way a buyer would.
package world

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	hubspotfake "pretix-hubspot/fakes/hubspot"
	pretixfake "pretix-hubspot/fakes/pretix"
)

// Seeded identities the app is pointed at.
const (
	Organizer           = "democon"
	OrganizerName       = "DemoCon Events"
	PretixToken         = "demo-pretix-token-0123456789abcdefghij"
	HubSpotClientID     = "demo-hubspot-client-id"
	HubSpotClientSecret = "demo-hubspot-client-secret"
	HubSpotStaticToken  = "pat-eu1-demo-static-token-0123456789"
)

// Options configure a World.
type Options struct {
	PretixAddr  string // listen address; default 127.0.0.1:0
	HubSpotAddr string // listen address; default 127.0.0.1:0
	Orders      int    // orders generated per event at start; default 200
	Seed        int64  // default 1
	// PretixRateLimit keeps pretix.eu's 360/minute limit; off by default so
	// the demo imports fast.
	PretixRateLimit bool
	// HubSpotLatency is how long the HubSpot emulator takes to answer
	// (hubspotfake.RealisticLatency for the demo; zero answers at once).
	HubSpotLatency hubspotfake.Latency
}

// World is a running pair of emulators.
type World struct {
	Pretix      *pretixfake.Server
	HubSpot     *hubspotfake.Server
	PretixURL   string
	HubSpotURL  string
	Events      []string
	servers     []*http.Server
	mu          sync.Mutex
	rnd         *rand.Rand
	HubSpotHubs []int64
}

// Info is what a client needs to connect, printed by the fakes subcommand.
type Info struct {
	PretixURL           string   `json:"pretix_url"`
	PretixToken         string   `json:"pretix_token"`
	Organizer           string   `json:"organizer"`
	Events              []string `json:"events"`
	HubSpotAPIBase      string   `json:"hubspot_api_base"`
	HubSpotAppBase      string   `json:"hubspot_app_base"`
	HubSpotClientID     string   `json:"hubspot_client_id"`
	HubSpotClientSecret string   `json:"hubspot_client_secret"`
	HubSpotStaticToken  string   `json:"hubspot_static_token"`
	HubSpotPortals      []int64  `json:"hubspot_portals"`
}

// Start seeds both emulators and serves them.
func Start(o Options) (*World, error) {
	if o.PretixAddr == "" {
		o.PretixAddr = "127.0.0.1:0"
	}
	if o.HubSpotAddr == "" {
		o.HubSpotAddr = "127.0.0.1:0"
	}
	if o.Orders == 0 {
		o.Orders = 200
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	w := &World{rnd: rand.New(rand.NewSource(o.Seed)), Events: []string{"conf2026", "workshops"}}

	pl, err := net.Listen("tcp", o.PretixAddr)
	if err != nil {
		return nil, fmt.Errorf("pretix emulator: %w", err)
	}
	hl, err := net.Listen("tcp", o.HubSpotAddr)
	if err != nil {
		pl.Close()
		return nil, fmt.Errorf("HubSpot emulator: %w", err)
	}
	w.PretixURL = "http://" + pl.Addr().String()
	w.HubSpotURL = "http://" + hl.Addr().String()

	w.Pretix = pretixfake.New(pretixfake.Options{PublicURL: w.PretixURL, NoRateLimit: !o.PretixRateLimit,
		WebhookRetrySchedule: []time.Duration{2 * time.Second, 10 * time.Second, time.Minute}})
	if err := w.seedPretix(o.Orders); err != nil {
		pl.Close()
		hl.Close()
		return nil, err
	}
	hopts := hubspotfake.Options{ClientID: HubSpotClientID, ClientSecret: HubSpotClientSecret, Seed: uint64(o.Seed), Latency: o.HubSpotLatency}
	for _, p := range hubspotfake.DefaultPortals() {
		w.HubSpotHubs = append(w.HubSpotHubs, p.ID)
	}
	// A private app token with the CRM scopes the sync needs (without them
	// the app rightly refuses it).
	hopts.StaticTokens = []hubspotfake.StaticToken{{Token: HubSpotStaticToken, HubID: w.HubSpotHubs[0], Scopes: []string{
		"crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.companies.read", "crm.objects.companies.write",
		"crm.objects.deals.read", "crm.objects.deals.write", "crm.schemas.contacts.read", "crm.schemas.companies.read",
		"crm.schemas.deals.read", "crm.schemas.contacts.write", "crm.schemas.companies.write", "crm.schemas.deals.write",
		"crm.objects.marketing_events.read", "crm.objects.marketing_events.write",
		"crm.objects.line_items.read", "crm.objects.line_items.write", "crm.schemas.line_items.write", "e-commerce"}}}
	w.HubSpot = hubspotfake.New(hopts)

	mux := http.NewServeMux()
	mux.Handle("/_fake/", http.HandlerFunc(w.control))
	mux.Handle("/", w.Pretix.Handler())
	w.serve(pl, mux)
	w.serve(hl, w.HubSpot.Handler())
	return w, nil
}

func (w *World) serve(l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	w.servers = append(w.servers, srv)
	go srv.Serve(l)
}

func (w *World) seedPretix(orders int) error {
	p := w.Pretix
	p.AddOrganizer(Organizer, OrganizerName)
	if err := p.AddToken(Organizer, PretixToken, pretixfake.Team{Name: "Integrations", AllEvents: true,
		CanViewOrders: true, CanChangeEventSettings: true}); err != nil {
		return err
	}
	specs := []pretixfake.EventSpec{
		{Name: pretixfake.LocalizedString{"en": "DemoCon 2026", "de": "DemoCon 2026"}, NameScheme: "title_given_family"},
		{Name: pretixfake.LocalizedString{"en": "Workshop series"}, NameScheme: "given_family", HasSubevents: true},
	}
	for i, slug := range w.Events {
		if err := p.SeedEvent(Organizer, slug, specs[i]); err != nil {
			return err
		}
		now := p.Clock().Now()
		if _, err := p.GenerateOrdersBetween(Organizer, slug, orders, now.Add(-30*24*time.Hour), now.Add(-time.Minute), w.rnd); err != nil {
			return err
		}
	}
	return nil
}

// Info returns the connection details.
func (w *World) Info() Info {
	return Info{PretixURL: w.PretixURL, PretixToken: PretixToken, Organizer: Organizer, Events: w.Events,
		HubSpotAPIBase: w.HubSpotURL, HubSpotAppBase: w.HubSpotURL, HubSpotClientID: HubSpotClientID,
		HubSpotClientSecret: HubSpotClientSecret, HubSpotStaticToken: HubSpotStaticToken, HubSpotPortals: w.HubSpotHubs}
}

// PlaceOrder places a random order in an event, as a buyer would.
func (w *World) PlaceOrder(event string) (pretixfake.Order, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Pretix.PlaceRandomOrder(Organizer, event, w.rnd)
}

// AddWebhook registers a webhook for every event and action, as an
// organizer would in pretix's settings.
func (w *World) AddWebhook(target string) (int64, error) {
	if target == "" {
		return 0, errors.New("url is required")
	}
	return w.Pretix.AddWebhook(Organizer, pretixfake.Webhook{TargetURL: target, Enabled: true, AllEvents: true})
}

// control serves /_fake/: GET info, POST orders?event=slug (place a random
// order), POST orders/<code>/paid|cancel?event=slug, POST
// orders/<code>/scan?event=slug&position=id (an entry scan; the first
// ticket when no position is given), GET and POST scan (a scanner page), POST
// orders/<code>/city?event=slug&city=…&webhook=0 (change the invoice
// address's city, with or without telling webhooks), POST
// orders/<code>/cancel-position?event=slug&position=id (the first ticket when
// no position is given), POST orders/<code>/product?event=slug&position=id&item=id&variation=id,
// POST orders/<code>/refund?event=slug&amount=12.50, POST webhooks?url=…,
// POST hubspot-daily?left=N (the first portal has N requests left today).
func (w *World) control(rw http.ResponseWriter, r *http.Request) {
	write := func(v any, err error) {
		rw.Header().Set("Content-Type", "application/json")
		if err != nil {
			rw.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(rw).Encode(map[string]string{"error": err.Error()})
			return
		}
		json.NewEncoder(rw).Encode(v)
	}
	ev := r.URL.Query().Get("event")
	if ev == "" {
		ev = w.Events[0]
	}
	var code, action string
	switch {
	case r.URL.Path == "/_fake/info":
		write(w.Info(), nil)
		return
	case r.URL.Path == "/_fake/scan":
		w.scanPage(rw, r)
		return
	case r.Method == http.MethodPost && r.URL.Path == "/_fake/orders":
		write(w.PlaceOrder(ev))
		return
	case r.Method == http.MethodPost && r.URL.Path == "/_fake/hubspot-daily":
		left, err := strconv.Atoi(r.URL.Query().Get("left"))
		if err == nil && left < 1 {
			err = errors.New("left must be at least 1")
		}
		if err == nil {
			w.HubSpot.LeaveDaily(w.HubSpotHubs[0], left)
		}
		write(map[string]int{"left": left}, err)
		return
	case r.Method == http.MethodPost && r.URL.Path == "/_fake/webhooks":
		id, err := w.AddWebhook(r.URL.Query().Get("url"))
		write(map[string]int64{"id": id}, err)
		return
	case r.Method == http.MethodPost:
		if _, err := fmt.Sscanf(r.URL.Path, "/_fake/orders/%s", &code); err == nil {
			for i := len(code) - 1; i >= 0; i-- {
				if code[i] == '/' {
					code, action = code[:i], code[i+1:]
					break
				}
			}
		}
	}
	switch action {
	case "paid":
		write(w.Pretix.MarkPaid(Organizer, ev, code))
	case "cancel":
		write(w.Pretix.CancelOrder(Organizer, ev, code))
	case "scan":
		pos, _ := strconv.ParseInt(r.URL.Query().Get("position"), 10, 64)
		write(w.Scan(ev, code, pos))
	case "cancel-position":
		pos, _ := strconv.ParseInt(r.URL.Query().Get("position"), 10, 64)
		write(w.Pretix.CancelPosition(Organizer, ev, code, pos))
	case "product":
		q := r.URL.Query()
		pos, _ := strconv.ParseInt(q.Get("position"), 10, 64)
		item, _ := strconv.ParseInt(q.Get("item"), 10, 64)
		variation, _ := strconv.ParseInt(q.Get("variation"), 10, 64)
		write(w.Pretix.ChangeProduct(Organizer, ev, code, pos, item, variation))
	case "refund":
		write(w.Pretix.Refund(Organizer, ev, code, r.URL.Query().Get("amount")))
	case "city":
		act := ""
		if r.URL.Query().Get("webhook") == "0" {
			act = pretixfake.NoWebhook
		}
		city := r.URL.Query().Get("city")
		write(w.Pretix.ModifyOrder(Organizer, ev, code, act, func(o *pretixfake.Order) {
			if o.InvoiceAddress == nil {
				o.InvoiceAddress = &pretixfake.InvoiceAddress{}
			}
			o.InvoiceAddress.City = city
		}))
	default:
		write(nil, errors.New("unknown control request"))
	}
}

// Close stops both emulators.
func (w *World) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, s := range w.servers {
		s.Shutdown(ctx)
	}
	w.Pretix.Close()
}
