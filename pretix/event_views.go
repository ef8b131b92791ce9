package pretix

import (
	"context"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// EventView is a stored event for the UI.
type EventView struct {
	ID             int64                    `json:"id"`
	OrganizerID    int64                    `json:"organizer_id"`
	Slug           string                   `json:"slug"`
	Name           pretixwire.LocalizedText `json:"name"`
	DateFrom       *time.Time               `json:"date_from"`
	DateTo         *time.Time               `json:"date_to"`
	Currency       string                   `json:"currency"`
	Timezone       string                   `json:"timezone"`
	HasSubevents   bool                     `json:"has_subevents"`
	Live           bool                     `json:"live"`
	InPretix       bool                     `json:"in_pretix"`
	NameScheme     string                   `json:"name_scheme"`
	Locales        []string                 `json:"locales"`
	SettingsSource string                   `json:"settings_source"`
	RefreshedAt    *time.Time               `json:"refreshed_at"`
	CatalogueError string                   `json:"catalogue_error,omitempty"`
	Orders         int                      `json:"orders"`
}

// ListEvents returns the organizer's stored events (latest first) with
// order counts.
func (s *Service) ListEvents(ctx context.Context, organizerID int64) ([]EventView, error) {
	var evs []models.PretixEvent
	db := s.db.WithContext(ctx)
	if err := db.Where("organizer_id = ?", organizerID).Order("date_from DESC, id").Find(&evs).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	counts := map[int64]int{}
	rows, err := db.Raw(`SELECT event_id, COUNT(*) FROM pretix_orders WHERE organizer_id = ? GROUP BY event_id`, organizerID).Rows()
	if err != nil {
		return nil, apperr.Internal(err)
	}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		counts[id] = n
	}
	rows.Close()
	out := make([]EventView, len(evs))
	for i := range evs {
		if out[i], err = eventView(&evs[i], counts[evs[i].ID]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OrderCounts counts an event's stored orders by status (n, p, e, c) in one
// pass over the (event, status) index.
func (s *Service) OrderCounts(ctx context.Context, eventID int64) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	if err := s.db.WithContext(ctx).Model(&models.PretixOrder{}).Select("status, COUNT(*) AS n").
		Where("event_id = ?", eventID).Group("status").Scan(&rows).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	out := map[string]int{"n": 0, "p": 0, "e": 0, "c": 0}
	for _, r := range rows {
		out[r.Status] += r.N
	}
	return out, nil
}

// EventView describes one stored event, counting only its own orders (the
// event pages ask for it on every visit; ListEvents counts the organizer's).
func (s *Service) EventView(ctx context.Context, e *models.PretixEvent) (*EventView, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.PretixOrder{}).Where("event_id = ?", e.ID).Count(&n).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	v, err := eventView(e, int(n))
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func eventView(e *models.PretixEvent, orders int) (EventView, error) {
	v := EventView{ID: e.ID, OrganizerID: e.OrganizerID, Slug: e.Slug, DateFrom: e.DateFrom, DateTo: e.DateTo, Currency: e.Currency,
		Timezone: e.Timezone, HasSubevents: e.HasSubevents, Live: e.Live, InPretix: e.InPretix, NameScheme: e.NameScheme,
		SettingsSource: e.SettingsSource, RefreshedAt: e.RefreshedAt, CatalogueError: e.CatalogueError, Orders: orders}
	if err := pretixwire.DecodeObject([]byte(e.NameJSON), "event name", &v.Name); err != nil {
		return v, err
	}
	if err := pretixwire.DecodeObject([]byte(e.LocalesJSON), "event languages", &v.Locales); err != nil {
		return v, err
	}
	if v.Locales == nil {
		v.Locales = []string{}
	}
	return v, nil
}

// RefreshEvent fetches one event's catalogue now.
func (s *Service) RefreshEvent(ctx context.Context, organizerID int64, slug string) error {
	org, err := s.load(ctx, organizerID)
	if err != nil {
		return err
	}
	var ev models.PretixEvent
	if err := s.db.WithContext(ctx).Where("organizer_id = ? AND slug = ?", organizerID, slug).First(&ev).Error; err != nil {
		return apperr.NotFound("event_not_found", "This event is not stored; pull the organizer first.")
	}
	c, err := s.clientFor(org)
	if err != nil {
		return err
	}
	return RefreshCatalogue(ctx, s.db, c, &ev, s.clock.Now())
}
