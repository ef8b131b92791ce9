package pretix

import (
	"context"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
	"time"

	pretixfake "pretix-hubspot/fakes/pretix"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

func TestSameOrderPulledTwiceIsOneRow(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 120)
	// A huge overlap makes the second pull fetch every order again.
	h := newHarness(t, e, Config{Overlap: 1000 * 24 * time.Hour})
	org := h.connect(t)
	live := liveOrders(e)
	if n := h.count(t, "pretix_orders"); n != live {
		t.Fatalf("%d orders stored, want %d", n, live)
	}
	logs := h.count(t, "order_log")
	h.rec.reset()
	res, err := h.svc.PullOrganizer(context.Background(), org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Orders != live || res.Unchanged != live || res.New+res.Changed != 0 {
		t.Fatalf("second pull %+v, want all %d unchanged", res, live)
	}
	if h.count(t, "pretix_orders") != live || h.count(t, "order_log") != logs {
		t.Fatal("the second pull added rows")
	}
	if len(h.rec.all()) != 0 {
		t.Fatalf("listener told about %d unchanged orders", len(h.rec.all()))
	}
}

func TestClassifiesChanges(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	h := newHarness(t, e, Config{Overlap: -1})
	rnd := rand.New(rand.NewSource(9))
	var codes []string
	for i := 0; i < 6; i++ {
		o, err := e.Fake.PlaceRandomOrder(testOrg, "conf", rnd)
		if err != nil {
			t.Fatal(err)
		}
		if o.Testmode {
			i--
			continue
		}
		codes = append(codes, o.Code)
	}
	org := h.connect(t)
	for _, c := range h.rec.all() {
		if c.Kinds != ChangeNew || c.OrderID == 0 || c.EventID == 0 || c.Source != SourcePull || c.OldStatus != "" {
			t.Fatalf("first pull change %+v", c)
		}
	}
	if len(h.rec.all()) != 6 {
		t.Fatalf("%d new orders reported", len(h.rec.all()))
	}
	h.rec.reset()
	clock := e.Fake.Clock().(interface{ Advance(time.Duration) })
	clock.Advance(time.Minute)
	mod := func(code, action string, fn func(*pretixfake.Order)) {
		if _, err := e.Fake.ModifyOrder(testOrg, "conf", code, action, fn); err != nil {
			t.Fatal(err)
		}
	}
	mod(codes[0], "", func(o *pretixfake.Order) { o.Status = pretixfake.StatusCanceled })
	mod(codes[1], "", func(o *pretixfake.Order) { o.Email = pretixfake.Str("changed@example.org") })
	mod(codes[2], "", func(o *pretixfake.Order) { // a refund carried out changes what the order is worth
		o.Refunds = append(o.Refunds, pretixfake.Refund{LocalID: 1, State: "done", Amount: "1.00"})
	})
	mod(codes[3], "", func(o *pretixfake.Order) {
		o.Positions[0].Answers = append(o.Positions[0].Answers, pretixfake.Answer{Question: 1, QuestionIdentifier: "X", Answer: "new"})
	})
	mod(codes[4], "", func(o *pretixfake.Order) {
		o.Positions[0].Checkins = append(o.Positions[0].Checkins, pretixfake.Checkin{ID: 99, List: 1, Datetime: pretixfake.T(t0), Type: "entry"})
		o.Refunds = append(o.Refunds, pretixfake.Refund{LocalID: 1, State: "transit", Amount: "1.00"}) // not carried out yet
	})
	mod(codes[5], "", func(o *pretixfake.Order) {
		o.Status = pretixfake.StatusCanceled
		o.Positions[0].AttendeeName = pretixfake.Str("Someone Else")
		o.Positions[0].Price = "2.00"
	})
	res, err := h.svc.PullOrganizer(context.Background(), org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 6 || res.New != 0 {
		t.Fatalf("pull %+v", res)
	}
	want := map[string]ChangeKind{
		codes[0]: ChangeStatus, codes[1]: ChangeContact, codes[2]: ChangeContents, codes[3]: ChangeContact,
		codes[4]: ChangeOther, codes[5]: ChangeStatus | ChangeContents | ChangeContact,
	}
	got := h.rec.byCode()
	for code, kinds := range want {
		c := got[code]
		if c.Kinds != kinds {
			t.Errorf("order %s: kinds %s, want %s", code, c.Kinds, kinds)
		}
		if c.OrderID == 0 || c.Status == "" {
			t.Errorf("order %s: change %+v lacks ids", code, c)
		}
	}
	if c := got[codes[0]]; c.Status != "c" || c.OldStatus == "" || c.OldStatus == "c" {
		t.Errorf("status change %+v", c)
	}
	var entry models.OrderLog
	h.db.Where("order_id = ? AND kind = ?", got[codes[0]].OrderID, models.OrderLogKindChanged).First(&entry)
	if entry.Message == "" || !json.Valid([]byte(entry.DataJSON)) {
		t.Fatalf("log entry %+v", entry)
	}
	var data map[string]any
	json.Unmarshal([]byte(entry.DataJSON), &data)
	if data["status"] != "c" || data["source"] != SourcePull {
		t.Fatalf("log data %v", data)
	}
}

func TestIngestSkipsStaleAndTestmode(t *testing.T) {
	db := openDB(t)
	box := testBox(t)
	sealed, _ := box.Seal("x")
	org := models.PretixOrganizer{BaseURL: "https://p.example/api/v1/", Slug: "acme", TokenSealed: sealed, WebhookSecretHash: "h", CreatedAt: t0, UpdatedAt: t0}
	if err := db.Create(&org).Error; err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	in := &Ingester{DB: db, Listener: rec}
	mk := func(status string, lm time.Time, testmode bool) pretixwire.Order {
		raw, _ := json.Marshal(map[string]any{"code": "ABCDE", "event": "ev", "status": status, "last_modified": lm, "testmode": testmode})
		o, err := decodeOrder(raw)
		if err != nil {
			t.Fatal(err)
		}
		o.Datetime = t0
		return o
	}
	ctx := context.Background()
	if r, err := in.Ingest(ctx, org.ID, []pretixwire.Order{mk("p", t0.Add(time.Hour), false)}, SourcePull); err != nil || r.New != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	// An older copy (a slow webhook fetch) must not overwrite the newer one.
	r, err := in.Ingest(ctx, org.ID, []pretixwire.Order{mk("n", t0, false)}, SourceWebhook)
	if err != nil || r.Skipped != 1 || r.Changed != 0 {
		t.Fatalf("stale: %+v %v", r, err)
	}
	var stored models.PretixOrder
	db.First(&stored)
	if stored.Status != "p" {
		t.Fatalf("stale copy overwrote the order: %s", stored.Status)
	}
	r, _ = in.Ingest(ctx, org.ID, []pretixwire.Order{mk("n", t0, true)}, SourceWebhook)
	if r.Skipped != 1 {
		t.Fatalf("test-mode order not skipped: %+v", r)
	}
	// Twice in one batch: the newer copy wins, one row.
	r, err = in.Ingest(ctx, org.ID, []pretixwire.Order{mk("c", t0.Add(3*time.Hour), false), mk("e", t0.Add(2*time.Hour), false)}, SourcePull)
	if err != nil || r.Changed != 1 {
		t.Fatalf("duplicate in batch: %+v %v", r, err)
	}
	db.First(&stored)
	if stored.Status != "c" {
		t.Fatalf("status %s, want the newer copy's c", stored.Status)
	}
	// The stub event was created for the unknown slug.
	var ev models.PretixEvent
	if err := db.Where("slug = ?", "ev").First(&ev).Error; err != nil || stored.EventID != ev.ID {
		t.Fatalf("event stub: %v", err)
	}
}

func TestStoresAddonsCanceledPositionsAndAnswers(t *testing.T) {
	e := newEmu(t, pretixfake.Options{NoRateLimit: true}, 0)
	h := newHarness(t, e, Config{})
	items, _ := fastClient(t, e.HTTP.URL).Items(context.Background(), "conf")
	qs, _ := fastClient(t, e.HTTP.URL).Questions(context.Background(), "conf")
	diet := qs[1]
	name := "Zoë Müller"
	placed, err := e.Fake.PlaceOrder(testOrg, "conf", pretixfake.Order{
		Email: pretixfake.Str("zoe@bücher.example"), Status: pretixfake.StatusPaid,
		Positions: []pretixfake.Position{
			{Item: items[0].ID, Variation: &items[0].Variations[0].ID, Price: "250.00", AttendeeName: &name,
				AttendeeNameParts: map[string]string{"_scheme": "given_family", "given_name": "Zoë", "family_name": "Müller"},
				Answers: []pretixfake.Answer{{Question: diet.ID, QuestionIdentifier: "DIET", Answer: "Vegetarian, Gluten-free",
					Options: []int64{diet.Options[0].ID, diet.Options[2].ID}, OptionIdentifiers: []string{"VEG", "GF"}}}},
			{Item: items[2].ID, Price: "49.00", AddonTo: pretixfake.Int(1)},
			{Item: items[0].ID, Price: "120.00", Canceled: true},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.connect(t)
	var o models.PretixOrder
	if err := h.db.Where("code = ?", placed.Code).First(&o).Error; err != nil {
		t.Fatal(err)
	}
	if o.PositionCount != 2 || o.Total != "299.00" || o.DisplayName != name || o.Email != "zoe@bücher.example" {
		t.Fatalf("order row %+v", o)
	}
	// Positions and answers are read back from the stored JSON, as the order
	// page and the sync read them.
	d, err := h.svc.GetOrder(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	ps := d.Positions
	if len(ps) != 3 {
		t.Fatalf("%d positions stored, want 3 including the canceled one", len(ps))
	}
	if ps[1].AddonTo == nil || *ps[1].AddonTo != ps[0].ID || ps[1].AddonToPosition != ps[0].PositionID || ps[1].AttendeeName != "" {
		t.Fatalf("add-on %+v, parent %d", ps[1], ps[0].ID)
	}
	if !ps[2].Canceled || ps[2].Price != "120.00" || ps[0].Canceled {
		t.Fatalf("canceled flags %v %v", ps[0].Canceled, ps[2].Canceled)
	}
	if ps[0].Variation == nil || *ps[0].Variation != items[0].Variations[0].ID || ps[0].AttendeeName != name || ps[0].VariationName == "" {
		t.Fatalf("position %+v", ps[0])
	}
	as := ps[0].Answers
	if len(as) != 1 || strings.Join(as[0].OptionIdentifiers, ",") != "VEG,GF" || as[0].Identifier != "DIET" || as[0].Question == "" {
		t.Fatalf("answers %+v", as)
	}
}
