package pretix

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// Ingester stores pulled or fetched orders in the local database.
type Ingester struct {
	DB       *gorm.DB
	Clock    clockwork.Clock // default real
	Listener OrderListener   // default NopListener
}

// IngestResult counts what one Ingest call did.
type IngestResult struct {
	New       int
	Changed   int
	Unchanged int // same JSON as stored
	Skipped   int // test-mode orders, and answers older than what is stored
	Changes   []OrderChange
}

// existingOrder is what classification needs of a stored order.
type existingOrder struct {
	id              int64
	status          string
	requireApproval bool
	lastModified    time.Time
	contentsHash    string
	contactHash     string
	rawHash         string
}

type orderKey struct{ event, code string }

// Ingest stores a batch of orders of one organizer idempotently — keyed by
// (organizer, event slug, code) — in one transaction, classifies each as new
// or changed (and how), writes an order log entry per change, and after the
// commit tells the listener. Test-mode orders are skipped (test orders can
// vanish, and pulls exclude them too), and so is an order older than the
// stored copy (a slow webhook fetch racing a pull).
func (in *Ingester) Ingest(ctx context.Context, organizerID int64, orders []pretixwire.Order, source string) (IngestResult, error) {
	var res IngestResult
	clock := in.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	// Within a batch the last copy of an order wins (overlapping pages).
	byKey := make(map[orderKey]int, len(orders))
	batch := make([]*pretixwire.Order, 0, len(orders))
	for i := range orders {
		o := &orders[i]
		if o.Testmode {
			res.Skipped++
			continue
		}
		k := orderKey{o.Event, o.Code}
		if j, dup := byKey[k]; dup {
			if !o.LastModified.Before(batch[j].LastModified) {
				batch[j] = o
			}
			res.Skipped++
			continue
		}
		byKey[k] = len(batch)
		batch = append(batch, o)
	}
	if len(batch) == 0 {
		return res, nil
	}
	now := clock.Now().UTC()
	err := in.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		db := tx.Statement.ConnPool
		events, err := resolveEvents(ctx, db, organizerID, batch, now)
		if err != nil {
			return err
		}
		existing, err := loadExisting(ctx, db, organizerID, batch)
		if err != nil {
			return err
		}
		var write []*pretixwire.Order
		var changes []OrderChange
		for _, o := range batch {
			ch := OrderChange{OrganizerID: organizerID, EventID: events[o.Event], EventSlug: o.Event, Code: o.Code,
				Status: o.Status, Datetime: o.Datetime.UTC(), LastModified: o.LastModified.UTC(), Source: source}
			old, ok := existing[orderKey{o.Event, o.Code}]
			if !ok {
				ch.Kinds = ChangeNew
				write, changes = append(write, o), append(changes, ch)
				continue
			}
			if o.LastModified.Before(old.lastModified) {
				res.Skipped++
				continue
			}
			if rawHash(o.Raw) == old.rawHash {
				res.Unchanged++
				continue
			}
			ch.OrderID, ch.OldStatus = old.id, old.status
			if o.Status != old.status || o.RequireApproval != old.requireApproval {
				ch.Kinds |= ChangeStatus
			}
			if contentsHash(o) != old.contentsHash {
				ch.Kinds |= ChangeContents
			}
			if contactHash(o) != old.contactHash {
				ch.Kinds |= ChangeContact
			}
			if ch.Kinds == 0 {
				ch.Kinds = ChangeOther
			}
			write, changes = append(write, o), append(changes, ch)
		}
		if len(write) == 0 {
			return nil
		}
		ids, err := upsertOrders(ctx, db, organizerID, events, write, now)
		if err != nil {
			return err
		}
		for i := range changes {
			changes[i].OrderID = ids[orderKey{changes[i].EventSlug, changes[i].Code}]
		}
		if err := insertLog(ctx, db, changes, now); err != nil {
			return err
		}
		if err := noteNameSchemes(ctx, db, events, write); err != nil {
			return err
		}
		res.Changes = changes
		return nil
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("store pretix orders: %w", err)
	}
	for _, c := range res.Changes {
		if c.Kinds.Has(ChangeNew) {
			res.New++
		} else {
			res.Changed++
		}
	}
	if len(res.Changes) > 0 {
		l := in.Listener
		if l == nil {
			l = NopListener{}
		}
		l.OrdersChanged(ctx, res.Changes)
	}
	return res, nil
}

func placeholders(n, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

// resolveEvents maps the batch's event slugs to ids, creating a stub for an
// event the events list has not shown yet (the next refresh completes it).
func resolveEvents(ctx context.Context, db gorm.ConnPool, orgID int64, batch []*pretixwire.Order, now time.Time) (map[string]int64, error) {
	slugs := map[string]bool{}
	args := []any{orgID}
	for _, o := range batch {
		if !slugs[o.Event] {
			slugs[o.Event] = true
			args = append(args, o.Event)
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT id, slug FROM pretix_events WHERE organizer_id = ? AND slug IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(slugs)), ",")+`)`, args...)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for rows.Next() {
		var id int64
		var slug string
		if err := rows.Scan(&id, &slug); err != nil {
			rows.Close()
			return nil, err
		}
		out[slug] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for slug := range slugs {
		if _, ok := out[slug]; ok {
			continue
		}
		r, err := db.ExecContext(ctx, `INSERT INTO pretix_events (organizer_id, slug, name_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			orgID, slug, `{}`, now, now)
		if err != nil {
			return nil, err
		}
		if out[slug], err = r.LastInsertId(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadExisting reads the stored copies of the batch's orders, one query per
// event so the unique (organizer, event, code) index answers each.
func loadExisting(ctx context.Context, db gorm.ConnPool, orgID int64, batch []*pretixwire.Order) (map[orderKey]existingOrder, error) {
	byEvent := map[string][]any{}
	for _, o := range batch {
		byEvent[o.Event] = append(byEvent[o.Event], o.Code)
	}
	out := map[orderKey]existingOrder{}
	for event, codes := range byEvent {
		args := append([]any{orgID, event}, codes...)
		rows, err := db.QueryContext(ctx, `SELECT id, code, status, require_approval, last_modified, contents_hash, contact_hash, raw_hash
			FROM pretix_orders WHERE organizer_id = ? AND event_slug = ? AND code IN (`+strings.TrimSuffix(strings.Repeat("?,", len(codes)), ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e existingOrder
			k := orderKey{event: event}
			if err := rows.Scan(&e.id, &k.code, &e.status, &e.requireApproval, &e.lastModified, &e.contentsHash, &e.contactHash, &e.rawHash); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const orderCols = 20

func upsertOrders(ctx context.Context, db gorm.ConnPool, orgID int64, events map[string]int64, write []*pretixwire.Order, now time.Time) (map[orderKey]int64, error) {
	ids := make(map[orderKey]int64, len(write))
	const chunk = 100
	for lo := 0; lo < len(write); lo += chunk {
		part := write[lo:min(lo+chunk, len(write))]
		args := make([]any, 0, len(part)*orderCols)
		for _, o := range part {
			active := 0
			for _, p := range o.Positions {
				if !p.Canceled {
					active++
				}
			}
			args = append(args, orgID, events[o.Event], o.Event, o.Code, o.Status, o.RequireApproval, o.Testmode,
				strings.TrimSpace(o.Email), displayName(o), o.Datetime.UTC(), o.LastModified.UTC(), o.Total, active,
				searchText(o), contentsHash(o), contactHash(o), rawHash(o.Raw), string(o.Raw), now, now)
		}
		rows, err := db.QueryContext(ctx, `INSERT INTO pretix_orders (organizer_id, event_id, event_slug, code, status, require_approval,
			testmode, email, display_name, datetime, last_modified, total, position_count, search_text, contents_hash, contact_hash,
			raw_hash, raw_json, first_seen_at, updated_at) VALUES `+placeholders(len(part), orderCols)+`
			ON CONFLICT (organizer_id, event_slug, code) DO UPDATE SET event_id = excluded.event_id, status = excluded.status,
			require_approval = excluded.require_approval, testmode = excluded.testmode, email = excluded.email,
			display_name = excluded.display_name, datetime = excluded.datetime, last_modified = excluded.last_modified,
			total = excluded.total, position_count = excluded.position_count, search_text = excluded.search_text,
			contents_hash = excluded.contents_hash, contact_hash = excluded.contact_hash, raw_hash = excluded.raw_hash,
			raw_json = excluded.raw_json, updated_at = excluded.updated_at
			RETURNING id, event_slug, code`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var k orderKey
			if err := rows.Scan(&id, &k.event, &k.code); err != nil {
				rows.Close()
				return nil, err
			}
			ids[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// bulkInsert runs one multi-row INSERT per chunk of rows.
func bulkInsert(ctx context.Context, db gorm.ConnPool, head string, cols int, rows [][]any) error {
	const maxVars = 30000
	per := max(1, maxVars/cols)
	for lo := 0; lo < len(rows); lo += per {
		part := rows[lo:min(lo+per, len(rows))]
		args := make([]any, 0, len(part)*cols)
		for _, r := range part {
			args = append(args, r...)
		}
		if _, err := db.ExecContext(ctx, head+placeholders(len(part), cols), args...); err != nil {
			return err
		}
	}
	return nil
}

// StatusLabel names an order status for people, as pretix does.
func StatusLabel(status string, requireApproval bool) string {
	switch status {
	case "n":
		if requireApproval {
			return "approval pending"
		}
		return "pending"
	case "p":
		return "paid"
	case "e":
		return "expired"
	case "c":
		if requireApproval {
			return "denied"
		}
		return "canceled"
	}
	return status
}

func logMessage(c OrderChange) string {
	if c.Kinds.Has(ChangeNew) {
		return "Order imported from pretix (" + StatusLabel(c.Status, false) + ")."
	}
	var what []string
	if c.Kinds.Has(ChangeStatus) {
		what = append(what, "status "+StatusLabel(c.OldStatus, false)+" → "+StatusLabel(c.Status, false))
	}
	if c.Kinds.Has(ChangeContents) {
		what = append(what, "products or prices")
	}
	if c.Kinds.Has(ChangeContact) {
		what = append(what, "contact data or answers")
	}
	if c.Kinds.Has(ChangeOther) {
		what = append(what, "other details (payments, check-ins, …)")
	}
	return "Order changed in pretix: " + strings.Join(what, "; ") + "."
}

func insertLog(ctx context.Context, db gorm.ConnPool, changes []OrderChange, now time.Time) error {
	rows := make([][]any, 0, len(changes))
	for _, c := range changes {
		kind := models.OrderLogKindChanged
		if c.Kinds.Has(ChangeNew) {
			kind = models.OrderLogKindImported
		}
		data, _ := json.Marshal(map[string]any{
			"kinds": c.Kinds.Names(), "old_status": c.OldStatus, "status": c.Status,
			"last_modified": c.LastModified.Format(time.RFC3339Nano), "source": c.Source,
		})
		rows = append(rows, []any{c.OrderID, now, kind, logMessage(c), string(data)})
	}
	return bulkInsert(ctx, db, `INSERT INTO order_log (order_id, time, kind, message, data_json) VALUES `, 5, rows)
}

// noteNameSchemes remembers the newest name scheme seen per event: the
// fallback when the token may not read event settings.
func noteNameSchemes(ctx context.Context, db gorm.ConnPool, events map[string]int64, write []*pretixwire.Order) error {
	latest := map[string]*pretixwire.Order{}
	for _, o := range write {
		if nameScheme(o) == "" {
			continue
		}
		if l := latest[o.Event]; l == nil || o.Datetime.After(l.Datetime) {
			latest[o.Event] = o
		}
	}
	for slug, o := range latest {
		s := nameScheme(o)
		if _, err := db.ExecContext(ctx, `UPDATE pretix_events SET seen_name_scheme = ? WHERE id = ? AND seen_name_scheme <> ?`, s, events[slug], s); err != nil {
			return err
		}
	}
	return nil
}
