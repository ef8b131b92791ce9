package pretixapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/apperr"
	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/pretixapi"
)

func TestNormalizeBaseURL(t *testing.T) {
	tests := []struct {
		in, want      string
		allowInsecure bool
		code          string
	}{
		{in: "pretix.eu", want: "https://pretix.eu/api/v1/"},
		{in: " https://pretix.eu/ ", want: "https://pretix.eu/api/v1/"},
		{in: "https://pretix.eu/api/v1", want: "https://pretix.eu/api/v1/"},
		{in: "https://tickets.example.org/pretix/?x=1#top", want: "https://tickets.example.org/pretix/api/v1/"},
		{in: "HTTPS://Bücher.example:8443", want: "https://xn--bcher-kva.example:8443/api/v1/"},
		{in: "http://localhost:8000", want: "http://localhost:8000/api/v1/"},
		{in: "http://127.0.0.1:9000/", want: "http://127.0.0.1:9000/api/v1/"},
		{in: "http://[::1]:9000/", want: "http://[::1]:9000/api/v1/"},
		{in: "http://pretix.example.org", code: pretixapi.CodeURLInsecure},
		{in: "http://pretix.example.org", allowInsecure: true, want: "http://pretix.example.org/api/v1/"},
		{in: "", code: pretixapi.CodeURLInvalid},
		{in: "ftp://pretix.eu", code: pretixapi.CodeURLInvalid},
		{in: "https://user:secret@pretix.eu", code: pretixapi.CodeURLInvalid},
		{in: "https://", code: pretixapi.CodeURLInvalid},
		{in: "https://exa mple.org", code: pretixapi.CodeURLInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			u, err := pretixapi.NormalizeBaseURL(tc.in, tc.allowInsecure)
			if tc.code != "" {
				if !pretixapi.HasCode(err, tc.code) {
					t.Fatalf("err = %v, want code %s", err, tc.code)
				}
				ae, _ := apperr.As(err)
				if ae.Fields["base_url"] == "" || ae.Kind != apperr.KindInvalid {
					t.Fatalf("error lacks the base_url field or is not invalid: %+v", ae)
				}
				return
			}
			if err != nil || u.String() != tc.want {
				t.Fatalf("got %v, %v; want %s", u, err, tc.want)
			}
		})
	}
}

func TestNewClientValidatesToken(t *testing.T) {
	for _, tok := range []string{"", "   ", "abc def", "abc\ndef"} {
		_, err := pretixapi.NewClient("https://pretix.eu", tok)
		if err == nil {
			t.Fatalf("token %q accepted", tok)
		}
		if ae, _ := apperr.As(err); ae.Fields["token"] == "" {
			t.Fatalf("token %q: no token field in %v", tok, err)
		}
	}
}

// closedPort returns an address nobody listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func staticServer(t *testing.T, status int, contentType, body string) *httptest.Server {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(hs.Close)
	return hs
}

func TestConnectionErrors(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	if err := e.Fake.AddToken(testOrg, "tok-noorders", pretixfake.Team{AllEvents: true}); err != nil {
		t.Fatal(err)
	}
	prefixed := newEmu(t, pretixfake.Options{NoRateLimit: true, PathPrefix: "/pretix"}, 0)
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	html := staticServer(t, 200, "text/html; charset=utf-8", "<!doctype html><title>Welcome to nginx!</title>")
	otherJSON := staticServer(t, 200, "application/json", `{"hello": "world"}`)
	truncated := staticServer(t, 200, "application/json", `{"slug": "acme", "na`)

	tests := []struct {
		name, base, token, org string
		code                   string
		kind                   apperr.Kind
		says                   string
	}{
		{"connection refused", "http://" + closedPort(t), testToken, testOrg, pretixapi.CodeUnreachable, apperr.KindUnavailable, "refused"},
		{"unknown host", "https://pretix-host.invalid", testToken, testOrg, pretixapi.CodeUnreachable, apperr.KindUnavailable, "Could not find the server pretix-host.invalid"},
		{"untrusted certificate", tlsSrv.URL, testToken, testOrg, pretixapi.CodeTLS, apperr.KindUnavailable, "not trusted"},
		{"https to a plain http server", strings.Replace(e.HTTP.URL, "http://", "https://", 1), testToken, testOrg, pretixapi.CodeTLS, apperr.KindUnavailable, "does not speak HTTPS"},
		{"web page instead of pretix", html.URL, testToken, testOrg, pretixapi.CodeNotPretix, apperr.KindInvalid, "a web page"},
		{"wrong path prefix", prefixed.HTTP.URL, testToken, testOrg, pretixapi.CodeNotPretix, apperr.KindInvalid, "not like a pretix server"},
		{"unexpected JSON", otherJSON.URL, testToken, testOrg, pretixapi.CodeNotPretix, apperr.KindInvalid, "no short name"},
		{"malformed JSON", truncated.URL, testToken, testOrg, pretixapi.CodeMalformedJSON, apperr.KindUnavailable, "not valid JSON"},
		{"invalid token", e.HTTP.URL, "tok-wrong", testOrg, pretixapi.CodeTokenInvalid, apperr.KindInvalid, "Invalid token."},
		{"missing Can view orders", e.HTTP.URL, "tok-noorders", testOrg, pretixapi.CodePermission, apperr.KindInvalid, "\u201cCan view orders\u201d"},
		{"unknown organizer", e.HTTP.URL, testToken, "nosuch", pretixapi.CodeOrganizerUnknown, apperr.KindInvalid, "no organizer \u201cnosuch\u201d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := pretixapi.NewClient(tc.base, tc.token, pretixapi.WithOrganizer(tc.org), pretixapi.WithLimiter(pretixapi.NewLimiter(0, nil)), pretixapi.WithRetry(2, time.Millisecond, time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			info, err := c.TestConnection(ctx)
			if err == nil {
				t.Fatalf("connected: %+v", info)
			}
			ae, ok := apperr.As(err)
			if !ok || ae.Code != tc.code || ae.Kind != tc.kind {
				t.Fatalf("err = %v, want %s (%s)", err, tc.code, tc.kind)
			}
			if !strings.Contains(ae.Message, tc.says) {
				t.Fatalf("message %q does not say %q", ae.Message, tc.says)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Fatalf("the token leaked into the error: %v", err)
			}
		})
	}
}

func TestConnectionSucceeds(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 3)
	e.Fake.AddToken(testOrg, "tok-nosettings", pretixfake.Team{AllEvents: true, CanViewOrders: true})
	legacy := newEmu(t, pretixfake.Options{NoRateLimit: true, LegacyNoOrganizerOrders: true}, 0)

	t.Run("finds the token's organizer", func(t *testing.T) {
		c := fastClient(t, e.HTTP.URL, pretixapi.WithOrganizer(""))
		info, err := c.TestConnection(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.Organizer.Slug != testOrg || info.Organizer.Name != "ACME Events" || len(info.Events) != 2 ||
			info.Events[0].Name["de"] != "Konferenz" || !info.CanViewOrders || !info.CanReadSettings || !info.OrganizerOrderList ||
			info.Version != "2025.10.0" || len(info.Warnings) != 0 {
			t.Fatalf("info %+v", info)
		}
		if c.Organizer() != testOrg {
			// TestConnection works on a copy; the caller stores info.Organizer.Slug.
			t.Log("client keeps its (empty) organizer, as documented")
		}
	})
	t.Run("warns without settings permission", func(t *testing.T) {
		c, _ := pretixapi.NewClient(e.HTTP.URL, "tok-nosettings", pretixapi.WithOrganizer(testOrg), pretixapi.WithLimiter(pretixapi.NewLimiter(0, nil)))
		info, err := c.TestConnection(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.CanReadSettings || len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "inferred") {
			t.Fatalf("info %+v", info)
		}
	})
	t.Run("warns on pretix before 2023.8", func(t *testing.T) {
		info, err := fastClient(t, legacy.HTTP.URL).TestConnection(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.OrganizerOrderList || len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "event by event") {
			t.Fatalf("info %+v", info)
		}
	})
}

func TestListOrdersFollowsPages(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	e := newEmu(t, pretixfake.Options{NoRateLimit: true, BeforeRequest: func(r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
	}}, 237)
	c := fastClient(t, e.HTTP.URL)
	since := t0.Add(-200 * 24 * time.Hour)
	var codes []string
	pages := 0
	err := c.ListOrders(context.Background(), pretixapi.OrderQuery{ModifiedSince: &since}, func(p pretixapi.OrderPage) error {
		pages++
		if p.Number != pages || p.Generated.IsZero() {
			t.Fatalf("page %+v", p.Number)
		}
		for _, o := range p.Orders {
			if o.Testmode || o.Event != "conf" || len(o.Raw) == 0 {
				t.Fatalf("order %s testmode=%v event=%q raw=%d", o.Code, o.Testmode, o.Event, len(o.Raw))
			}
			codes = append(codes, o.Code)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, ref := range e.Fake.Orders(testOrg) {
		if o, _ := e.Fake.Order(testOrg, ref.Event, ref.Code); !o.Testmode {
			live++
		}
	}
	if len(codes) != live || pages != (live+49)/50 {
		t.Fatalf("%d orders on %d pages, want %d live orders", len(codes), pages, live)
	}
	for _, q := range queries {
		for _, want := range []string{"page_size=50", "testmode=false", "ordering=datetime", "include_canceled_positions=true", "modified_since="} {
			if !strings.Contains(q, want) {
				t.Fatalf("query %q lacks %s", q, want)
			}
		}
	}
}

func TestListOrdersWithoutOrganizerList(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true, LegacyNoOrganizerOrders: true}, 3)
	c := fastClient(t, e.HTTP.URL)
	err := c.ListOrders(context.Background(), pretixapi.OrderQuery{}, func(pretixapi.OrderPage) error { return nil })
	if !errors.Is(err, pretixapi.ErrNoOrganizerOrderList) {
		t.Fatalf("err = %v, want pretixapi.ErrNoOrganizerOrderList", err)
	}
	n := 0
	err = c.ListOrders(context.Background(), pretixapi.OrderQuery{Event: "conf", IncludeTestmode: true}, func(p pretixapi.OrderPage) error {
		for _, o := range p.Orders {
			if o.Event != "conf" {
				t.Fatalf("event not filled in for old servers: %q", o.Event)
			}
			n++
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("per-event list: %d orders, %v", n, err)
	}
}

func TestRetriesServerErrorsAndDrops(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true, Rand: rand.New(rand.NewSource(3))}, 300)
	e.Fake.SetFaults(pretixfake.Faults{ErrorRate: 0.25, DropRate: 0.1})
	c := fastClient(t, e.HTTP.URL, pretixapi.WithRetry(8, time.Millisecond, 2*time.Millisecond))
	n := 0
	err := c.ListOrders(context.Background(), pretixapi.OrderQuery{IncludeTestmode: true}, func(p pretixapi.OrderPage) error {
		n += len(p.Orders)
		return nil
	})
	if err != nil || n != 300 {
		t.Fatalf("%d orders, %v", n, err)
	}
	if got := e.Fake.RequestCount(pretixfake.EndpointOrganizerOrders); got <= 6 {
		t.Fatalf("only %d requests; faults were not injected", got)
	}

	e.Fake.SetFaults(pretixfake.Faults{ErrorRate: 1})
	_, err = c.GetOrder(context.Background(), "conf", e.Fake.Orders(testOrg)[0].Code)
	if !pretixapi.HasCode(err, pretixapi.CodeServerError) || !strings.Contains(err.Error(), "after 8 attempts") {
		t.Fatalf("err = %v, want a server error after 8 attempts", err)
	}
	e.Fake.SetFaults(pretixfake.Faults{MalformedRate: 1})
	_, err = c.Events(context.Background())
	if !pretixapi.HasCode(err, pretixapi.CodeMalformedJSON) {
		t.Fatalf("err = %v, want malformed JSON", err)
	}
}

func TestRateLimitRetryAfterIsHonoured(t *testing.T) {
	fc := clockwork.NewFakeClockAt(t0)
	e := newEmu(t, pretixfake.Options{Clock: fc, RateLimitPerMinute: 60, RateLimitBurst: 2}, 260)
	// No pacing on our side: the client meets 429s and must wait them out.
	c := fastClient(t, e.HTTP.URL, pretixapi.WithClock(fc), pretixapi.WithLimiter(pretixapi.NewLimiter(0, fc)))
	stop := advanceWhileBlocked(fc, 500*time.Millisecond)
	defer stop()
	n := 0
	err := c.ListOrders(context.Background(), pretixapi.OrderQuery{IncludeTestmode: true}, func(p pretixapi.OrderPage) error {
		n += len(p.Orders)
		return nil
	})
	if err != nil || n != 260 {
		t.Fatalf("%d orders, %v", n, err)
	}
	limited := 0
	for _, r := range e.Fake.RequestLog(testOrg) {
		if r.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("no 429 happened; the test does not test anything")
	}
}

func TestPacingAvoids429(t *testing.T) {
	fc := clockwork.NewFakeClockAt(t0)
	e := newEmu(t, pretixfake.Options{Clock: fc, RateLimitPerMinute: 120, RateLimitBurst: 2}, 500)
	c := fastClient(t, e.HTTP.URL, pretixapi.WithClock(fc), pretixapi.WithLimiter(pretixapi.NewLimiter(120, fc)))
	stop := advanceWhileBlocked(fc, 100*time.Millisecond)
	defer stop()
	start := fc.Now()
	if err := c.ListOrders(context.Background(), pretixapi.OrderQuery{IncludeTestmode: true}, func(pretixapi.OrderPage) error { return nil }); err != nil {
		t.Fatal(err)
	}
	log := e.Fake.RequestLog(testOrg)
	for _, r := range log {
		if r.Status != 200 {
			t.Fatalf("paced client got %d", r.Status)
		}
	}
	// 10 requests at 2/s after a burst of 2 take about 4 s of (fake) time.
	if el := fc.Since(start); len(log) != 10 || el < 3*time.Second || el > 6*time.Second {
		t.Fatalf("%d requests in %v", len(log), el)
	}
}

func TestContextCancellationStopsWaiting(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 1)
	e.Fake.SetFaults(pretixfake.Faults{ErrorRate: 1})
	c := fastClient(t, e.HTTP.URL, pretixapi.WithRetry(10, time.Hour, time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := c.Events(ctx)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestGetOrder(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	placed, err := e.Fake.PlaceOrder(testOrg, "conf", pretixfake.Order{Email: pretixfake.Str("x@example.org"), Positions: []pretixfake.Position{
		{Item: firstItem(t, e), Price: "10.00"}, {Item: firstItem(t, e), Price: "5.00", Canceled: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := fastClient(t, e.HTTP.URL)
	o, err := c.GetOrder(context.Background(), "conf", placed.Code)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Positions) != 2 || !o.Positions[1].Canceled || o.Email != "x@example.org" || o.Total != "10.00" || o.Event != "conf" {
		t.Fatalf("order %+v", o)
	}
	_, err = c.GetOrder(context.Background(), "conf", "NOPE1")
	if !pretixapi.HasCode(err, pretixapi.CodeNotFound) || apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("err = %v", err)
	}
}

func firstItem(t *testing.T, e *emu) int64 {
	c := fastClient(t, e.HTTP.URL)
	items, err := c.Items(context.Background(), "conf")
	if err != nil || len(items) == 0 {
		t.Fatal(err)
	}
	return items[0].ID
}

func TestNextLinksStayOnOurHost(t *testing.T) {
	var hs *httptest.Server
	var hosts []string
	hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts = append(hosts, r.Host)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("page") == "2" {
			fmt.Fprint(w, `{"count": 2, "next": null, "previous": null, "results": [{"slug": "b", "name": {"en": "B"}}]}`)
			return
		}
		// A proxy that rewrites to another scheme/host must not get the token.
		fmt.Fprint(w, `{"count": 2, "next": "http://evil.example/api/v1/organizers/acme/events/?page=2", "previous": null, "results": [{"slug": "a", "name": {"en": "A"}}]}`)
	}))
	defer hs.Close()
	c := fastClient(t, hs.URL)
	evs, err := c.Events(context.Background())
	if err != nil || len(evs) != 2 || evs[1].Slug != "b" {
		t.Fatalf("%v %v", evs, err)
	}
	for _, h := range hosts {
		if h != strings.TrimPrefix(hs.URL, "http://") {
			t.Fatalf("request went to %s", h)
		}
	}
}

func TestCatalogue(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	c := fastClient(t, e.HTTP.URL)
	ctx := context.Background()
	items, err := c.Items(ctx, "conf")
	if err != nil || len(items) != 4 || len(items[0].Variations) != 2 || len(items[0].Raw) == 0 {
		t.Fatalf("items %+v %v", items, err)
	}
	qs, err := c.Questions(ctx, "conf")
	if err != nil || len(qs) != 13 || len(qs[0].Options) != 4 || qs[0].Question.Localize("de") != "T-Shirt-Größe" {
		t.Fatalf("questions %v", err)
	}
	cats, err := c.Categories(ctx, "conf")
	if err != nil || len(cats) != 3 || !cats[1].IsAddon {
		t.Fatalf("categories %+v %v", cats, err)
	}
	lists, err := c.CheckinLists(ctx, "conf")
	if err != nil || len(lists) != 2 || lists[0].Name != "Main entrance" {
		t.Fatalf("check-in lists %+v %v", lists, err)
	}
	subs, err := c.SubEvents(ctx, "series")
	if err != nil || len(subs) != 3 || subs[0].DateFrom.IsZero() {
		t.Fatalf("sub-events %+v %v", subs, err)
	}
	st, err := c.EventSettings(ctx, "conf")
	if err != nil || st.NameScheme != "title_given_middle_family" || strings.Join(st.Locales, ",") != "en,de" || len(st.Raw) == 0 {
		t.Fatalf("settings %+v %v", st, err)
	}
	e.Fake.AddToken(testOrg, "tok-nosettings", pretixfake.Team{AllEvents: true, CanViewOrders: true})
	c2, _ := pretixapi.NewClient(e.HTTP.URL, "tok-nosettings", pretixapi.WithOrganizer(testOrg), pretixapi.WithLimiter(pretixapi.NewLimiter(0, nil)))
	if _, err := c2.EventSettings(ctx, "conf"); !pretixapi.HasCode(err, pretixapi.CodeSettingsForbidden) {
		t.Fatalf("settings without permission: %v", err)
	}
}
