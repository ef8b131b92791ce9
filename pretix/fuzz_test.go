package pretix

import (
	"bytes"
	"context"
	"testing"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// FuzzReadPayload: a webhook body from anyone either is refused with a
// clear 400-class error or names a whole notification id, an organizer and
// an action (and for order actions an event and a code): nothing else can
// reach the fetch queue.
func FuzzReadPayload(f *testing.F) {
	for _, s := range []string{
		`{"notification_id":123,"organizer":"democon","event":"conf2026","code":"ABC12","action":"pretix.event.order.placed"}`,
		`{"notification_id":"1","organizer":"x","action":"pretix.event.changed"}`,
		`{"notification_id":1.5,"organizer":"x","action":"a"}`,
		`{"notification_id":1e30,"organizer":"x","action":"a"}`,
		`[]`, `null`, `{"notification_id":1,"organizer":"x","action":"pretix.event.order.paid"}`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := readPayload(bytes.NewReader(body))
		if err != nil {
			if p != nil || apperr.KindOf(err) != apperr.KindInvalid {
				t.Fatalf("refusal %v with payload %+v", err, p)
			}
			return
		}
		if _, err := p.NotificationID.Int64(); err != nil || p.Organizer == "" || p.Action == "" {
			t.Fatalf("accepted %+v", p)
		}
		if len(p.Action) > len("pretix.event.order.") && p.Action[:len("pretix.event.order.")] == "pretix.event.order." && (p.Event == "" || p.Code == "") {
			t.Fatalf("order action without event or code: %+v", p)
		}
	})
}

// FuzzDecodeAndIngestOrder: an order document either fails to decode or is
// stored once under its key, however odd its contents, and storing it again
// changes nothing.
func FuzzDecodeAndIngestOrder(f *testing.F) {
	f.Add([]byte(`{"code":"ABCDE","event":"ev","status":"p","datetime":"2026-01-02T03:04:05Z","last_modified":"2026-01-02T03:04:05Z","email":"a@example.org",
		"positions":[{"id":1,"item":3,"attendee_name_parts":{"given_name":"A"},"answers":[{"question":4,"answer":"x","options":[1]}]}]}`))
	f.Add([]byte(`{"code":"ABCDE","event":"ev","status":"n","positions":[{"id":1,"addon_to":1}],"invoice_address":{"name_parts":{"_scheme":"x"}}}`))
	f.Add([]byte(`{"code":"","event":"","status":"zz"}`))
	f.Add([]byte(`{"code":"ABCDE","event":"ev","status":"p","testmode":true}`))
	db := openDB(f)
	box := testBox(f)
	sealed, _ := box.Seal("x")
	org := models.PretixOrganizer{BaseURL: "https://p.example/api/v1/", Slug: "acme", TokenSealed: sealed, WebhookSecretHash: "h", CreatedAt: t0, UpdatedAt: t0}
	if err := db.Create(&org).Error; err != nil {
		f.Fatal(err)
	}
	in := &Ingester{DB: db, Listener: &recorder{}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := decodeOrder(raw)
		if err != nil {
			return
		}
		ctx := context.Background()
		if _, err := in.Ingest(ctx, org.ID, []pretixwire.Order{o}, SourcePull); err != nil {
			t.Fatalf("ingest of a decoded order: %v", err)
		}
		again, err := in.Ingest(ctx, org.ID, []pretixwire.Order{o}, SourcePull)
		if err != nil || again.New != 0 || again.Changed != 0 {
			t.Fatalf("second ingest of the same document: %+v, %v", again, err)
		}
		var dups int64
		db.Raw(`SELECT COUNT(*) FROM (SELECT 1 FROM pretix_orders GROUP BY event_id, code HAVING COUNT(*) > 1)`).Scan(&dups)
		if dups > 0 {
			t.Fatalf("an order stored twice after %q", raw)
		}
	})
}
