package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/config"
	hubspotfake "pretix-hubspot/fakes/hubspot"
	"pretix-hubspot/fakes/world"
	"pretix-hubspot/hubspotsync"
	"pretix-hubspot/models"
	"pretix-hubspot/pretix"
)

// The demo's admin login, printed on start and documented in the README.
const (
	demoUser     = "admin"
	demoPassword = "pretix-hubspot-demo"
)

// demoOptions are the demo subcommand's flags.
type demoOptions struct {
	Addr       string
	DataDir    string // "" uses a temporary directory removed on exit
	Orders     int    // orders generated per event at start
	OrderEvery time.Duration
	Seed       int64
	Password   string
	// Latency makes the HubSpot emulator take as long as HubSpot does.
	Latency bool
}

// demo is the app wired exactly like serve, pointed at the in-process pretix
// and HubSpot emulators, with an admin and the pretix organizer connected.
type demo struct {
	opts    demoOptions
	world   *world.World
	app     *app
	ln      net.Listener
	url     string
	org     *pretix.OrganizerView
	tempDir string
}

// runDemo is the "demo" subcommand: the whole journey without any account.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := demoOptions{}
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "listen address of the app (host:port)")
	fs.StringVar(&o.DataDir, "data-dir", "", "directory for the demo's database (default: a temporary directory, removed on exit)")
	fs.IntVar(&o.Orders, "orders", 200, "orders generated per event at start")
	fs.DurationVar(&o.OrderEvery, "order-every", 5*time.Second, "how often a buyer places a new order (0 for never)")
	fs.Int64Var(&o.Seed, "seed", 1, "random seed of the generated data")
	fs.StringVar(&o.Password, "password", demoPassword, "password of the demo's admin login")
	fs.BoolVar(&o.Latency, "hubspot-latency", true, "let the HubSpot emulator take as long as HubSpot does (a few hundred milliseconds a call); false answers at once")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	d, err := startDemo(ctx, o, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	defer d.Close()
	fmt.Fprintf(stdout, `
pretix-hubspot demo — no accounts needed
  Open       %s
  Sign in    user %q, password %q
  pretix     emulator at %s (organizer %q, events %s), already connected;
             a new order every %s arrives through the webhook
  HubSpot    emulator at %s: Event → Settings → Plugins → Enable HubSpot,
             then Settings → HubSpot → Request access walks its consent pages
  Marketing  "Marketing event" is on for both events: once HubSpot is
             connected, orders register their attendees on the events' HubSpot
             marketing events; scan a ticket at %s/_fake/scan
             and its attendee is attended
  Stop with Ctrl-C.%s

`, d.url, demoUser, o.Password, d.world.PretixURL, world.Organizer, strings.Join(d.world.Events, ", "), everyText(o.OrderEvery),
		d.world.HubSpotURL, d.world.PretixURL, d.dataNote())
	if err := d.run(ctx); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

func everyText(d time.Duration) string {
	if d <= 0 {
		return "— never (--order-every 0)"
	}
	return d.String()
}

func (d *demo) dataNote() string {
	if d.tempDir != "" {
		return " Everything is forgotten on exit (keep it with --data-dir)."
	}
	return " The app's data stays in " + d.opts.DataDir + "; the emulators start afresh each time."
}

// startDemo starts the emulators and the app (not yet serving): the admin
// exists, the pretix organizer is connected through the pretix service and
// its webhook points at the app.
func startDemo(ctx context.Context, o demoOptions, getenv func(string) string, logw io.Writer) (_ *demo, err error) {
	if len(o.Password) < 10 {
		return nil, fmt.Errorf("--password must have at least 10 characters")
	}
	d := &demo{opts: o}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.world, err = world.Start(world.Options{Orders: o.Orders, Seed: o.Seed, HubSpotLatency: demoLatency(o)}); err != nil {
		return nil, err
	}
	if d.ln, err = net.Listen("tcp", o.Addr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another instance running? choose another port with --addr)", o.Addr, err)
	}
	dir := o.DataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "pretix-hubspot-demo-"); err != nil {
			return nil, err
		}
		d.tempDir = dir
	}
	// The app's usual configuration (environment included), pointed at the
	// emulators: HubSpot's API and consent pages, and the emulator's app
	// credentials so Request access works out of the box.
	args := []string{"--addr", d.ln.Addr().String(), "--data-dir", dir,
		"--hubspot-api-base", d.world.HubSpotURL, "--hubspot-app-base", d.world.HubSpotURL,
		"--hubspot-client-id", world.HubSpotClientID, "--hubspot-client-secret", world.HubSpotClientSecret}
	// Request logs of the UI's polling would bury the banner with the login.
	if getenv(config.EnvName("log-level")) == "" {
		args = append(args, "--log-level", "warn")
	}
	cfg, err := config.Load(args, getenv, logw)
	if err != nil {
		return nil, err
	}
	d.url = cfg.BaseURL.String()
	if d.app, err = newApp(cfg, newLogger(cfg, logw), clockwork.NewRealClock()); err != nil {
		return nil, err
	}
	if err := d.ensureAdmin(ctx); err != nil {
		return nil, err
	}
	if d.org, err = d.connectPretix(ctx); err != nil {
		return nil, err
	}
	if _, err := d.world.AddWebhook(strings.TrimRight(d.url, "/") + d.org.WebhookPath); err != nil {
		return nil, fmt.Errorf("register the pretix webhook: %w", err)
	}
	return d, nil
}

func (d *demo) ensureAdmin(ctx context.Context) error {
	needs, err := d.app.auth.NeedsSetup(ctx)
	if err != nil || !needs {
		return err
	}
	if _, err := d.app.auth.Setup(ctx, demoUser, d.opts.Password); err != nil {
		return fmt.Errorf("create the demo admin: %w", err)
	}
	return nil
}

// connectPretix connects the emulator's organizer, or (with a kept data
// directory) points the stored connection at this run's emulator.
func (d *demo) connectPretix(ctx context.Context) (*pretix.OrganizerView, error) {
	orgs, err := d.app.pretix.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, org := range orgs {
		if org.Slug == world.Organizer {
			return d.app.pretix.Update(ctx, org.ID, pretix.UpdateInput{BaseURL: d.world.PretixURL, Token: world.PretixToken})
		}
	}
	return d.app.pretix.Create(ctx, pretix.ConnectInput{BaseURL: d.world.PretixURL, Token: world.PretixToken})
}

// run serves the app until ctx ends while buyers place orders.
func (d *demo) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if d.opts.OrderEvery > 0 {
		go d.placeOrders(ctx)
	}
	go d.marketingOn(ctx)
	return d.app.run(ctx, d.ln)
}

// marketingOn turns marketing events on for the demo's events once their
// first pull stored them, where nobody chose otherwise (a kept data
// directory keeps its choice): connecting HubSpot then shows them.
func (d *demo) marketingOn(ctx context.Context) {
	types := map[string]string{d.world.Events[0]: "Conference", d.world.Events[1]: "Workshop"}
	t := d.app.clock.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for tries := 0; tries < 120 && len(types) > 0; tries++ {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
		evs, err := d.app.pretix.ListEvents(ctx, d.org.ID)
		if err != nil {
			continue
		}
		for _, ev := range evs {
			typ, ok := types[ev.Slug]
			if !ok {
				continue
			}
			delete(types, ev.Slug)
			if saved, err := d.app.marketing.Saved(ctx, ev.ID); err != nil || saved {
				continue
			}
			if _, err := d.app.marketing.Save(ctx, ev.ID, hubspotsync.MarketingInput{Enabled: true, EmailFrom: models.MarketingEmailAttendee,
				RegisterOn: models.MarketingRegisterPlaced, EventType: typ}); err != nil {
				d.app.logger.Warn("demo: turn marketing events on", "event", ev.Slug, "err", err)
			}
		}
	}
}

// placeOrders places an order every OrderEvery, two of three in the
// conference and one in the workshops, as buyers would.
func (d *demo) placeOrders(ctx context.Context) {
	t := d.app.clock.NewTicker(d.opts.OrderEvery)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
			ev := d.world.Events[0]
			if i%3 == 2 {
				ev = d.world.Events[1]
			}
			if _, err := d.world.PlaceOrder(ev); err != nil {
				d.app.logger.Warn("demo: place order", "event", ev, "err", err)
			}
		}
	}
}

// Close stops the app and the emulators and removes a temporary data dir.
func (d *demo) Close() {
	if d.app != nil {
		d.app.Close()
	}
	if d.ln != nil {
		d.ln.Close()
	}
	if d.world != nil {
		d.world.Close()
	}
	if d.tempDir != "" {
		os.RemoveAll(d.tempDir)
	}
}

func demoLatency(o demoOptions) hubspotfake.Latency {
	if !o.Latency {
		return hubspotfake.Latency{}
	}
	return hubspotfake.RealisticLatency(uint64(o.Seed))
}
