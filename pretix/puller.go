package pretix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixapi"
	"pretix-hubspot/pretixwire"
)

// DefaultOverlap is subtracted from the server time of a pull before it is
// stored as the next modified_since: a write that committed just after the
// list request started can carry an earlier last_modified.
const DefaultOverlap = 5 * time.Minute

// DefaultCatalogueMaxAge is how long an event's catalogue (items,
// questions, …) is used before a pull fetches it again.
const DefaultCatalogueMaxAge = time.Hour

// Orders endpoint modes, stored in PretixOrganizer.OrdersEndpoint.
const (
	ModeOrganizer = "organizer" // one organizer-wide list (pretix 2023.8+)
	ModeEvent     = "event"     // one list per event (older pretix)
)

// Puller does one pull for an organizer: events, changed orders and stale
// catalogues, recording the outcome on the organizer.
type Puller struct {
	DB       *gorm.DB
	Clock    clockwork.Clock
	Ingester *Ingester
	// Client returns an API client for the stored organizer.
	Client          func(org *models.PretixOrganizer) (*pretixapi.Client, error)
	Overlap         time.Duration // default DefaultOverlap; negative means none
	CatalogueMaxAge time.Duration // default DefaultCatalogueMaxAge
	Log             *slog.Logger
}

// PullResult says what a pull did.
type PullResult struct {
	OrganizerID         int64
	Mode                string // ModeOrganizer or ModeEvent
	Pages               int
	Orders              int // orders received
	New                 int
	Changed             int
	Unchanged           int
	Skipped             int
	Events              int // events pretix listed
	CataloguesRefreshed int
	Cursor              time.Time // the stored modified_since for the next pull (organizer mode)
	Warnings            []string  // catalogue problems that did not stop the pull
	Duration            time.Duration
}

func (p *Puller) clock() clockwork.Clock {
	if p.Clock == nil {
		return clockwork.NewRealClock()
	}
	return p.Clock
}

func (p *Puller) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}

func (p *Puller) overlap() time.Duration {
	switch {
	case p.Overlap < 0:
		return 0
	case p.Overlap == 0:
		return DefaultOverlap
	}
	return p.Overlap
}

// Pull fetches everything that changed since the organizer's cursor and
// stores it. The cursor moves only when every page succeeded, so a failed
// pull is simply repeated by the next one.
func (p *Puller) Pull(ctx context.Context, organizerID int64) (PullResult, error) {
	res := PullResult{OrganizerID: organizerID}
	start := p.clock().Now()
	var org models.PretixOrganizer
	if err := p.DB.WithContext(ctx).First(&org, organizerID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return res, apperr.NotFound("pretix_organizer_not_found", "This pretix connection does not exist (any more).")
		}
		return res, apperr.Internal(err)
	}
	startedAt := start.UTC()
	if err := p.DB.WithContext(ctx).Model(&org).UpdateColumns(map[string]any{
		"last_pull_status": models.PullStatusRunning, "last_pull_started_at": startedAt,
	}).Error; err != nil {
		return res, apperr.Internal(err)
	}
	err := p.pull(ctx, &org, &res)
	res.Duration = p.clock().Since(start)
	p.record(&org, &res, err)
	return res, err
}

// record stores the outcome even when ctx was canceled.
func (p *Puller) record(org *models.PretixOrganizer, res *PullResult, err error) {
	now := p.clock().Now().UTC()
	cols := map[string]any{"last_pull_finished_at": now, "last_pull_orders": res.Orders}
	if err == nil {
		cols["last_pull_status"], cols["last_pull_error"], cols["last_pull_error_code"] = models.PullStatusOK, "", ""
		cols["last_pull_success_at"] = now
		cols["orders_endpoint"] = res.Mode
		if res.Mode == ModeOrganizer {
			cols["pull_cursor"] = res.Cursor
		}
	} else {
		msg, code := describeErr(err)
		cols["last_pull_status"], cols["last_pull_error"], cols["last_pull_error_code"] = models.PullStatusError, msg, code
		p.log().Warn("pretix pull failed", "organizer", org.Slug, "code", code, "error", err)
	}
	if dbErr := p.DB.Model(org).UpdateColumns(cols).Error; dbErr != nil {
		p.log().Error("record pretix pull status", "organizer", org.Slug, "error", dbErr)
	}
}

// describeErr returns what a person may see about err.
func describeErr(err error) (msg, code string) {
	if errors.Is(err, context.Canceled) {
		return "The pull was stopped (the application is shutting down or the connection was removed).", "pretix_pull_canceled"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "The pull took too long and was stopped; it continues at the next run.", "pretix_pull_timeout"
	}
	if ae, ok := apperr.As(err); ok {
		return ae.Message, ae.Code
	}
	return apperr.Internal(err).Message, "internal"
}

func (p *Puller) pull(ctx context.Context, org *models.PretixOrganizer, res *PullResult) error {
	c, err := p.Client(org)
	if err != nil {
		return err
	}
	events, err := c.Events(ctx)
	if err != nil {
		return err
	}
	res.Events = len(events)
	if err := p.storeEvents(ctx, org.ID, events); err != nil {
		return err
	}
	touched := map[string]bool{}
	ingest := func(page pretixapi.OrderPage) error {
		res.Pages++
		res.Orders += len(page.Orders)
		r, err := p.Ingester.Ingest(ctx, org.ID, page.Orders, SourcePull)
		if err != nil {
			return apperr.Internal(err)
		}
		res.New, res.Changed, res.Unchanged, res.Skipped = res.New+r.New, res.Changed+r.Changed, res.Unchanged+r.Unchanged, res.Skipped+r.Skipped
		for _, ch := range r.Changes {
			touched[ch.EventSlug] = true
		}
		return nil
	}
	var generated time.Time
	err = c.ListOrders(ctx, pretixapi.OrderQuery{ModifiedSince: org.PullCursor}, func(page pretixapi.OrderPage) error {
		if page.Number == 1 {
			generated = page.Generated
		}
		return ingest(page)
	})
	switch {
	case err == nil:
		res.Mode = ModeOrganizer
		res.Cursor = generated.Add(-p.overlap()).UTC()
	case errors.Is(err, pretixapi.ErrNoOrganizerOrderList):
		res.Mode = ModeEvent
		if err := p.pullPerEvent(ctx, c, org.ID, events, ingest); err != nil {
			return err
		}
	default:
		return err
	}
	p.refreshCatalogues(ctx, c, org.ID, touched, res)
	return ctx.Err()
}

// pullPerEvent is the fallback for pretix before 2023.8: one list and one
// cursor per event.
func (p *Puller) pullPerEvent(ctx context.Context, c *pretixapi.Client, orgID int64, events []pretixwire.Event, ingest func(pretixapi.OrderPage) error) error {
	for _, ev := range events {
		var stored models.PretixEvent
		if err := p.DB.WithContext(ctx).Where("organizer_id = ? AND slug = ?", orgID, ev.Slug).First(&stored).Error; err != nil {
			return apperr.Internal(err)
		}
		var generated time.Time
		err := c.ListOrders(ctx, pretixapi.OrderQuery{Event: ev.Slug, ModifiedSince: stored.PullCursor}, func(page pretixapi.OrderPage) error {
			if page.Number == 1 {
				generated = page.Generated
			}
			return ingest(page)
		})
		if err != nil {
			return err
		}
		cursor := generated.Add(-p.overlap()).UTC()
		if err := p.DB.WithContext(ctx).Model(&stored).UpdateColumn("pull_cursor", cursor).Error; err != nil {
			return apperr.Internal(err)
		}
	}
	return nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func rawArray(raws []json.RawMessage) string {
	if len(raws) == 0 {
		return "[]"
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range raws {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r)
	}
	b.WriteByte(']')
	return b.String()
}

// storeEvents upserts the listed events and marks the others as no longer
// in pretix (deleted, or the token lost access) without deleting their
// orders.
func (p *Puller) storeEvents(ctx context.Context, orgID int64, events []pretixwire.Event) error {
	now := p.clock().Now().UTC()
	return p.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		slugs := make([]string, 0, len(events))
		for _, e := range events {
			slugs = append(slugs, e.Slug)
			raw := string(e.Raw)
			if raw == "" {
				raw = jsonText(e)
			}
			err := tx.Exec(`INSERT INTO pretix_events (organizer_id, slug, name_json, date_from, date_to, currency, timezone,
				has_subevents, live, testmode, event_json, in_pretix, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
				ON CONFLICT (organizer_id, slug) DO UPDATE SET name_json = excluded.name_json, date_from = excluded.date_from,
				date_to = excluded.date_to, currency = excluded.currency, timezone = excluded.timezone,
				has_subevents = excluded.has_subevents, live = excluded.live, testmode = excluded.testmode,
				event_json = excluded.event_json, in_pretix = 1, updated_at = excluded.updated_at`,
				orgID, e.Slug, jsonText(nonNilText(e.Name)), utcPtr(e.DateFrom), utcPtr(e.DateTo), e.Currency, e.Timezone,
				e.HasSubevents, e.Live, e.Testmode, raw, now, now).Error
			if err != nil {
				return apperr.Internal(err)
			}
		}
		q := tx.Model(&models.PretixEvent{}).Where("organizer_id = ?", orgID)
		if len(slugs) > 0 {
			q = q.Where("slug NOT IN ?", slugs)
		}
		if err := q.UpdateColumn("in_pretix", false).Error; err != nil {
			return apperr.Internal(err)
		}
		return nil
	})
}

func nonNilText(t pretixwire.LocalizedText) pretixwire.LocalizedText {
	if t == nil {
		return pretixwire.LocalizedText{}
	}
	return t
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// needsCatalogue decides which events' catalogues to fetch: never fetched,
// or stale and either still relevant (not over for a month) or just
// received order changes.
func (p *Puller) needsCatalogue(e *models.PretixEvent, touched bool, now time.Time) bool {
	if !e.InPretix {
		return false
	}
	if e.RefreshedAt == nil {
		return true
	}
	maxAge := p.CatalogueMaxAge
	if maxAge == 0 {
		maxAge = DefaultCatalogueMaxAge
	}
	if now.Sub(*e.RefreshedAt) < maxAge {
		return false
	}
	end := e.DateTo
	if end == nil {
		end = e.DateFrom
	}
	over := end != nil && !e.HasSubevents && now.Sub(*end) > 30*24*time.Hour
	return !over || touched
}

func (p *Puller) refreshCatalogues(ctx context.Context, c *pretixapi.Client, orgID int64, touched map[string]bool, res *PullResult) {
	var events []models.PretixEvent
	if err := p.DB.WithContext(ctx).Where("organizer_id = ?", orgID).Order("id").Find(&events).Error; err != nil {
		res.Warnings = append(res.Warnings, "Could not read the stored events.")
		return
	}
	now := p.clock().Now()
	for i := range events {
		e := &events[i]
		if !p.needsCatalogue(e, touched[e.Slug], now) {
			continue
		}
		if err := RefreshCatalogue(ctx, p.DB, c, e, now); err != nil {
			if ctx.Err() != nil {
				return
			}
			msg, _ := describeErr(err)
			res.Warnings = append(res.Warnings, fmt.Sprintf("Catalogue of event %s: %s", e.Slug, msg))
			p.DB.Model(e).UpdateColumn("catalogue_error", msg)
			continue
		}
		res.CataloguesRefreshed++
	}
}

// RefreshCatalogue fetches an event's items, categories, questions,
// check-in lists, sub-events and settings and stores them. Without the
// settings permission, the name scheme and languages are inferred: the
// scheme from the newest order seen, the languages from the multilingual
// texts.
func RefreshCatalogue(ctx context.Context, db *gorm.DB, c *pretixapi.Client, e *models.PretixEvent, now time.Time) error {
	items, err := c.Items(ctx, e.Slug)
	if err != nil {
		return err
	}
	cats, err := c.Categories(ctx, e.Slug)
	if err != nil {
		return err
	}
	questions, err := c.Questions(ctx, e.Slug)
	if err != nil {
		return err
	}
	lists, err := c.CheckinLists(ctx, e.Slug)
	if err != nil {
		return err
	}
	var subRaw []json.RawMessage
	if e.HasSubevents {
		subs, err := c.SubEvents(ctx, e.Slug)
		if err != nil {
			return err
		}
		for _, s := range subs {
			subRaw = append(subRaw, s.Raw)
		}
	}
	cols := map[string]any{
		"items_json":         rawArray(raws(items, func(v pretixwire.Item) json.RawMessage { return v.Raw })),
		"categories_json":    rawArray(raws(cats, func(v pretixwire.Category) json.RawMessage { return v.Raw })),
		"questions_json":     rawArray(raws(questions, func(v pretixwire.Question) json.RawMessage { return v.Raw })),
		"checkin_lists_json": rawArray(raws(lists, func(v pretixwire.CheckinList) json.RawMessage { return v.Raw })),
		"subevents_json":     rawArray(subRaw),
		"refreshed_at":       now.UTC(), "catalogue_error": "",
	}
	settings, err := c.EventSettings(ctx, e.Slug)
	switch {
	case err == nil:
		locales := settings.Locales
		if len(locales) == 0 && settings.Locale != "" {
			locales = []string{settings.Locale}
		}
		scheme := settings.NameScheme
		if scheme == "" {
			scheme = "full"
		}
		cols["settings_json"], cols["name_scheme"], cols["locales_json"], cols["settings_source"] = string(settings.Raw), scheme, jsonText(nonNilStrings(locales)), "api"
	case pretixapi.HasCode(err, pretixapi.CodeSettingsForbidden):
		var name pretixwire.LocalizedText
		if err := pretixwire.DecodeObject([]byte(e.NameJSON), "event name", &name); err != nil {
			return err
		}
		scheme := e.SeenNameScheme
		if scheme == "" {
			scheme = "full" // pretix's default
		}
		cols["settings_json"], cols["name_scheme"], cols["locales_json"], cols["settings_source"] = "{}", scheme, jsonText(inferLocales(name, items, questions)), "inferred"
	default:
		return err
	}
	return db.WithContext(ctx).Model(e).UpdateColumns(cols).Error
}

func raws[T any](list []T, f func(T) json.RawMessage) []json.RawMessage {
	out := make([]json.RawMessage, len(list))
	for i, v := range list {
		out[i] = f(v)
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// inferLocales is the union of languages in the event's multilingual texts.
func inferLocales(name pretixwire.LocalizedText, items []pretixwire.Item, questions []pretixwire.Question) []string {
	set := map[string]bool{}
	add := func(t pretixwire.LocalizedText) {
		for k, v := range t {
			if v != "" {
				set[k] = true
			}
		}
	}
	add(name)
	for _, it := range items {
		add(it.Name)
	}
	for _, q := range questions {
		add(q.Question)
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
