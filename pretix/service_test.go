package pretix

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"pretix-hubspot/apperr"
	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixapi"
)

func TestCreateStoresSealedTokenAndNeverShowsIt(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 25)
	h := newHarness(t, e, Config{})
	ctx := context.Background()
	org, err := h.svc.Create(ctx, ConnectInput{BaseURL: e.HTTP.URL, Token: testToken, WebhookUser: "pretix", WebhookPassword: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if org.Slug != testOrg || org.Name != "ACME Events" || org.Events != 2 || !org.TokenSet || !org.WebhookAuth ||
		!strings.HasPrefix(org.WebhookPath, WebhookPathPrefix) || len(org.WebhookPath) < len(WebhookPathPrefix)+30 {
		t.Fatalf("created %+v", org)
	}
	if _, err := h.svc.PullOrganizer(ctx, org.ID); err != nil {
		t.Fatal(err)
	}
	got, err := h.svc.Get(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := h.svc.List(ctx)
	for _, v := range []any{got, list} {
		b, _ := json.Marshal(v)
		if strings.Contains(string(b), testToken) || strings.Contains(string(b), "correct horse") {
			t.Fatalf("token or password in API view: %s", b)
		}
	}
	if got.Orders != liveOrders(e) || got.Pull.State != models.PullStatusOK || got.BaseURL != e.HTTP.URL+"/" {
		t.Fatalf("view %+v", got)
	}
	stored := h.organizer(t, org.ID)
	if strings.Contains(stored.TokenSealed, testToken) || stored.WebhookPasswordHash == "" || strings.Contains(stored.WebhookPasswordHash, "horse") {
		t.Fatalf("stored secrets in the clear: %+v", stored)
	}
	if tok, _ := h.box.Open(stored.TokenSealed); tok != testToken {
		t.Fatal("sealed token does not open to the token")
	}
}

func TestCreateRejectsBadInput(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	h := newHarness(t, e, Config{})
	ctx := context.Background()
	tests := []struct {
		name string
		in   ConnectInput
		code string
	}{
		{"wrong token", ConnectInput{BaseURL: e.HTTP.URL, Token: "nope"}, pretixapi.CodeTokenInvalid},
		{"no token", ConnectInput{BaseURL: e.HTTP.URL}, pretixapi.CodeTokenMissing},
		{"insecure URL", ConnectInput{BaseURL: "http://pretix.example.org", Token: testToken}, pretixapi.CodeURLInsecure},
		{"half basic auth", ConnectInput{BaseURL: e.HTTP.URL, Token: testToken, WebhookUser: "u"}, "pretix_webhook_auth_incomplete"},
		{"short webhook password", ConnectInput{BaseURL: e.HTTP.URL, Token: testToken, WebhookUser: "u", WebhookPassword: "short"}, "pretix_webhook_password_short"},
		{"unknown organizer", ConnectInput{BaseURL: e.HTTP.URL, Token: testToken, Slug: "other"}, pretixapi.CodeOrganizerUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.svc.Create(ctx, tc.in)
			if !pretixapi.HasCode(err, tc.code) {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
			if ae, _ := apperr.As(err); len(ae.Fields) == 0 {
				t.Fatalf("no field message in %v", err)
			}
		})
	}
	if n := h.count(t, "pretix_organizers"); n != 0 {
		t.Fatalf("%d organizers stored after failures", n)
	}
	if _, err := h.svc.Create(ctx, ConnectInput{BaseURL: e.HTTP.URL, Token: testToken}); err != nil {
		t.Fatal(err)
	}
	_, err := h.svc.Create(ctx, ConnectInput{BaseURL: e.HTTP.URL + "/api/v1/", Token: testToken})
	if apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("second connection of the same organizer: %v", err)
	}
}

func TestUpdateKeepsTokenWhenEmpty(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 5)
	h := newHarness(t, e, Config{})
	ctx := context.Background()
	org := h.connect(t)
	before := h.organizer(t, org.ID)

	if _, err := h.svc.Update(ctx, org.ID, UpdateInput{BaseURL: e.HTTP.URL}); err != nil {
		t.Fatal(err)
	}
	if h.organizer(t, org.ID).TokenSealed != before.TokenSealed {
		t.Fatal("an empty token replaced the stored one")
	}
	// "Test connection" on the edit form works with the stored token.
	if info, err := h.svc.TestConnection(ctx, ConnectInput{}, org.ID); err != nil || info.Organizer.Slug != testOrg {
		t.Fatalf("test with the stored token: %+v %v", info, err)
	}
	if _, err := h.svc.Update(ctx, org.ID, UpdateInput{Token: "wrong"}); !pretixapi.HasCode(err, pretixapi.CodeTokenInvalid) {
		t.Fatalf("wrong token accepted: %v", err)
	}
	if h.organizer(t, org.ID).TokenSealed != before.TokenSealed {
		t.Fatal("a rejected token was stored")
	}
	e.Fake.AddToken(testOrg, "tok-new-0123456789", pretixfake.Team{AllEvents: true, CanViewOrders: true})
	if _, err := h.svc.Update(ctx, org.ID, UpdateInput{Token: "tok-new-0123456789"}); err != nil {
		t.Fatal(err)
	}
	if tok, _ := h.box.Open(h.organizer(t, org.ID).TokenSealed); tok != "tok-new-0123456789" {
		t.Fatal("new token not stored")
	}
	user := "hook"
	v, err := h.svc.Update(ctx, org.ID, UpdateInput{WebhookUser: &user, WebhookPassword: "a-long-random-password", RotateWebhookSecret: true})
	if err != nil || !v.WebhookAuth || v.WebhookUser != "hook" || v.WebhookPath == org.WebhookPath {
		t.Fatalf("webhook settings %+v %v", v, err)
	}
	off := ""
	if v, err := h.svc.Update(ctx, org.ID, UpdateInput{WebhookUser: &off}); err != nil || v.WebhookAuth {
		t.Fatalf("switching Basic auth off: %+v %v", v, err)
	}
	if _, err := h.svc.Update(ctx, 999, UpdateInput{}); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("unknown organizer: %v", err)
	}
}

func TestDeleteCascadesAndCounts(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 60)
	h := newHarness(t, e, Config{})
	org := h.connect(t)
	orders, logs := h.count(t, "pretix_orders"), h.count(t, "order_log")
	dc, err := h.svc.Delete(context.Background(), org.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := DeleteCounts{Events: 2, Orders: orders, LogEntries: logs}
	if dc != want || orders == 0 {
		t.Fatalf("counts %+v, want %+v", dc, want)
	}
	for _, table := range []string{"pretix_organizers", "pretix_events", "pretix_orders", "order_log"} {
		if n := h.count(t, table); n != 0 {
			t.Fatalf("%d rows left in %s", n, table)
		}
	}
	if _, err := h.svc.Get(context.Background(), org.ID); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestPullNowRunsOnePullPerOrganizer(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 100)
	e := newEmu(t, pretixfake.Options{NoRateLimit: true, BeforeRequest: func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/organizers/acme/orders/") && r.URL.Query().Get("page_size") == "50" {
			entered <- struct{}{}
			<-release
		}
	}}, 10)
	h := newHarness(t, e, Config{})
	ctx := context.Background()
	org, err := h.svc.Create(ctx, ConnectInput{BaseURL: e.HTTP.URL, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	<-entered // Create started the first pull, which now waits inside pretix.
	start := time.Now()
	started, err := h.svc.PullNow(ctx, org.ID)
	if err != nil || started {
		t.Fatalf("PullNow during a pull: started=%v err=%v", started, err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("PullNow did not return at once")
	}
	if v, _ := h.svc.Get(ctx, org.ID); !v.Pull.Running || v.Pull.State != models.PullStatusRunning {
		t.Fatalf("running pull not visible: %+v", v.Pull)
	}
	close(release)
	if _, err := h.svc.PullOrganizer(ctx, org.ID); err != nil {
		t.Fatal(err)
	}
	// One probe by TestConnection (page_size=1), one page by the one pull.
	if n := e.Fake.RequestCount(pretixfake.EndpointOrganizerOrders); n != 2 {
		t.Fatalf("%d order list requests; the joined pull ran twice", n)
	}
	started, err = h.svc.PullNow(ctx, org.ID)
	if err != nil || !started {
		t.Fatalf("PullNow when idle: %v %v", started, err)
	}
	if _, err := h.svc.PullNow(ctx, 4242); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("PullNow unknown: %v", err)
	}
	if err := h.svc.Pull(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestListAndGetOrders(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 180)
	h := newHarness(t, e, Config{})
	org := h.connect(t)
	ctx := context.Background()
	evs, err := h.svc.ListEvents(ctx, org.ID)
	if err != nil || len(evs) != 2 {
		t.Fatalf("events %v %v", evs, err)
	}
	var conf EventView
	for _, ev := range evs {
		if ev.Slug == "conf" {
			conf = ev
		}
	}
	if conf.Orders != liveOrders(e) || conf.Name["de"] != "Konferenz" || len(conf.Locales) != 2 {
		t.Fatalf("event %+v", conf)
	}
	all, err := h.svc.ListOrders(ctx, OrderListQuery{OrganizerID: org.ID, EventID: conf.ID, PageSize: 200})
	if err != nil || all.Total != conf.Orders || len(all.Orders) != conf.Orders {
		t.Fatalf("list: %v, %d of %d", err, len(all.Orders), conf.Orders)
	}
	for i := 1; i < len(all.Orders); i++ {
		if all.Orders[i].Datetime.After(all.Orders[i-1].Datetime) {
			t.Fatal("not newest first")
		}
	}
	paid := 0
	for _, o := range all.Orders {
		if o.Status == "p" {
			paid++
		}
	}
	p2, err := h.svc.ListOrders(ctx, OrderListQuery{OrganizerID: org.ID, EventID: conf.ID, Status: []string{"p"}, Page: 2, PageSize: 10})
	if err != nil || p2.Total != paid || len(p2.Orders) != 10 || p2.Orders[0].Status != "p" || p2.Orders[0].StatusLabel != "paid" || p2.Orders[0].Currency != "EUR" {
		t.Fatalf("status filter page 2: %+v %v", p2, err)
	}
	target := all.Orders[7]
	for _, term := range []string{strings.ToLower(target.Code), target.Code, strings.ToUpper(target.Email)} {
		res, err := h.svc.ListOrders(ctx, OrderListQuery{OrganizerID: org.ID, Search: term})
		if err != nil || res.Total == 0 || !containsOrder(res.Orders, target.ID) {
			t.Fatalf("search %q: %+v %v", term, res, err)
		}
	}
	if res, _ := h.svc.ListOrders(ctx, OrderListQuery{OrganizerID: org.ID, Search: "100%_"}); res.Total != 0 {
		t.Fatalf("LIKE wildcards not escaped: %d", res.Total)
	}
	bad := []OrderListQuery{{OrganizerID: org.ID, Status: []string{"x"}}, {OrganizerID: org.ID, Page: -1}, {OrganizerID: org.ID, PageSize: 500}}
	for _, q := range bad {
		if _, err := h.svc.ListOrders(ctx, q); apperr.KindOf(err) != apperr.KindInvalid {
			t.Fatalf("query %+v: %v", q, err)
		}
	}

	// Detail of an order with answers.
	var withAnswers int64
	h.db.Raw(`SELECT id FROM pretix_orders WHERE raw_json LIKE '%"question_identifier"%' LIMIT 1`).Scan(&withAnswers)
	d, err := h.svc.GetOrder(ctx, withAnswers)
	if err != nil {
		t.Fatal(err)
	}
	if d.Event.Slug != "conf" || d.Event.Name != "Conf" || len(d.Positions) == 0 || d.Positions[0].ItemName == "" || len(d.Log) != 1 || d.Log[0].Kind != models.OrderLogKindImported {
		t.Fatalf("detail %+v", d)
	}
	found := false
	for _, p := range d.Positions {
		for _, a := range p.Answers {
			if a.Question == "" || a.Type == "" {
				t.Fatalf("answer without question text: %+v", a)
			}
			found = true
		}
	}
	if !found {
		t.Fatal("no answers in the detail")
	}
	b, _ := json.Marshal(d)
	var raw struct {
		Secret string `json:"secret"`
	}
	var stored models.PretixOrder
	h.db.First(&stored, withAnswers)
	json.Unmarshal([]byte(stored.RawJSON), &raw)
	if raw.Secret == "" || strings.Contains(string(b), raw.Secret) {
		t.Fatal("order secret exposed in the detail")
	}
	if _, err := h.svc.GetOrder(ctx, 987654); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("missing order: %v", err)
	}
	if id, err := h.svc.FindOrder(ctx, org.ID, "conf", stored.Code); err != nil || id != stored.ID {
		t.Fatalf("FindOrder %d %v", id, err)
	}
	// A stored column that cannot be read is reported, not shown as empty names.
	for col, bad := range map[string]string{"questions_json": `{"results": 5}`, "name_json": `[1]`, "items_json": `nope`} {
		var before string
		h.db.Raw(`SELECT ` + col + ` FROM pretix_events WHERE slug = 'conf'`).Scan(&before)
		h.db.Exec(`UPDATE pretix_events SET `+col+` = ? WHERE slug = 'conf'`, bad)
		if _, err := h.svc.GetOrder(ctx, withAnswers); !pretixapi.HasCode(err, "pretix_json_malformed") {
			t.Errorf("broken %s: %v", col, err)
		}
		h.db.Exec(`UPDATE pretix_events SET `+col+` = ? WHERE slug = 'conf'`, before)
	}
	if _, err := h.svc.GetOrder(ctx, withAnswers); err != nil {
		t.Fatalf("after repair: %v", err)
	}
}

func containsOrder(list []OrderSummary, id int64) bool {
	for _, o := range list {
		if o.ID == id {
			return true
		}
	}
	return false
}
