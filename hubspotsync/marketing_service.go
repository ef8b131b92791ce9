package hubspotsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"pretix-hubspot/apperr"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// MarketingPortals finds an event's HubSpot connection; *hubspot.Service
// implements it.
type MarketingPortals interface {
	EventHub(ctx context.Context, eventID int64) (int64, bool, error)
	LinkConnection(ctx context.Context, hubID int64) (*hubspot.Connection, error)
}

// MarketingService is the "Marketing event" section of an event's HubSpot
// page: its settings and what HubSpot holds.
type MarketingService struct {
	db       *gorm.DB
	portals  MarketingPortals
	clock    clockwork.Clock
	onChange func(ctx context.Context, eventID int64)
}

// NewMarketingService returns the service; onChange (may be nil) is called
// after settings change, to wake the event's waiting syncs.
func NewMarketingService(db *gorm.DB, portals MarketingPortals, clock clockwork.Clock, onChange func(ctx context.Context, eventID int64)) *MarketingService {
	return &MarketingService{db: db, portals: portals, clock: clock, onChange: onChange}
}

// MarketingView is the section's content.
type MarketingView struct {
	Enabled    bool   `json:"enabled"`
	EmailFrom  string `json:"email_from"`
	RegisterOn string `json:"register_on"`
	EventType  string `json:"event_type"`
	// MissingScopes are the marketing event scopes the connection lacks:
	// Request access again grants them.
	MissingScopes []string             `json:"missing_scopes"`
	Connected     bool                 `json:"connected"`
	Events        []MarketingEventView `json:"events"`
}

// MarketingEventView is one HubSpot marketing event of the event (or of a
// date of the series) with its participation counts as last sent.
type MarketingEventView struct {
	Name            string    `json:"name"`
	ExternalEventID string    `json:"external_event_id"`
	ObjectID        string    `json:"object_id"`
	Link            string    `json:"link"`
	Cancelled       bool      `json:"cancelled"`
	SentAt          time.Time `json:"sent_at"`
	Registered      int64     `json:"registered"`
	Attended        int64     `json:"attended"`
	CancelledCount  int64     `json:"cancellations"`
}

// MarketingInput is what the section saves.
type MarketingInput struct {
	Enabled    bool   `json:"enabled"`
	EmailFrom  string `json:"email_from"`
	RegisterOn string `json:"register_on"`
	EventType  string `json:"event_type"`
}

// Get returns the section of an event.
func (s *MarketingService) Get(ctx context.Context, eventID int64) (*MarketingView, error) {
	set, err := LoadMarketingSettings(ctx, s.db, eventID)
	if err != nil {
		return nil, err
	}
	v := &MarketingView{Enabled: set.Enabled, EmailFrom: set.EmailFrom, RegisterOn: set.RegisterOn, EventType: set.EventType,
		MissingScopes: []string{}, Events: []MarketingEventView{}}
	hubID, ok, err := s.portals.EventHub(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return v, nil
	}
	conn, err := s.portals.LinkConnection(ctx, hubID)
	if err != nil {
		if ae := (*apperr.Error)(nil); errors.As(err, &ae) && ae.Kind == apperr.KindNotFound {
			return v, nil
		}
		return nil, err
	}
	v.Connected = conn.State == models.HubSpotStateActive
	for _, sc := range []string{hubspot.ScopeMarketingEventsRead, hubspot.ScopeMarketingEventsWrite} {
		if !containsString(conn.Scopes, sc) {
			v.MissingScopes = append(v.MissingScopes, sc)
		}
	}
	var recs []models.MarketingEventRecord
	if err := s.db.WithContext(ctx).Where("event_id = ? AND hub_id = ?", eventID, hubID).Order("subevent_id").Find(&recs).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("load marketing events of event %d: %w", eventID, err))
	}
	type count struct {
		ExternalEventID string
		State           string
		N               int64
	}
	var counts []count
	if err := s.db.WithContext(ctx).Model(&models.MarketingContact{}).Select("external_event_id, state, COUNT(*) AS n").
		Where("event_id = ? AND hub_id = ?", eventID, hubID).Group("external_event_id, state").Scan(&counts).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("count marketing event participation of event %d: %w", eventID, err))
	}
	for _, r := range recs {
		ev := MarketingEventView{Name: r.Name, ExternalEventID: r.ExternalEventID, ObjectID: r.ObjectID, Link: conn.MarketingEventURL(r.ObjectID),
			Cancelled: r.Cancelled, SentAt: r.SentAt}
		for _, c := range counts {
			if c.ExternalEventID != r.ExternalEventID {
				continue
			}
			switch c.State {
			case models.ParticipationRegistered:
				ev.Registered += c.N
			case models.ParticipationAttended:
				ev.Registered += c.N
				ev.Attended += c.N
			case models.ParticipationCancelled:
				ev.CancelledCount += c.N
			}
		}
		v.Events = append(v.Events, ev)
	}
	return v, nil
}

// Save validates and stores the section's settings.
func (s *MarketingService) Save(ctx context.Context, eventID int64, in MarketingInput) (*MarketingView, error) {
	bad := apperr.Invalid("marketing_settings_invalid", "The marketing event settings were not saved: check the marked fields.")
	if in.EmailFrom != models.MarketingEmailAttendee && in.EmailFrom != models.MarketingEmailBuyer {
		bad = bad.WithField("email_from", "Choose the attendee's email or the buyer's.")
	}
	if in.RegisterOn != models.MarketingRegisterPlaced && in.RegisterOn != models.MarketingRegisterPaid {
		bad = bad.WithField("register_on", "Choose when an attendee counts as registered: when the order is placed, or when it is paid.")
	}
	in.EventType = strings.TrimSpace(in.EventType)
	if utf8.RuneCountInString(in.EventType) > 100 {
		bad = bad.WithField("event_type", "The event type is at most 100 characters, e.g. Conference or Workshop.")
	}
	if len(bad.Fields) > 0 {
		return nil, bad
	}
	row := models.MarketingEventSettings{EventID: eventID, Enabled: in.Enabled, EmailFrom: in.EmailFrom, RegisterOn: in.RegisterOn,
		EventType: in.EventType, UpdatedAt: s.clock.Now().UTC()}
	if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "event_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"enabled", "email_from", "register_on", "event_type", "updated_at"}),
	}).Create(&row).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("save marketing event settings of event %d: %w", eventID, err))
	}
	if s.onChange != nil {
		s.onChange(ctx, eventID)
	}
	return s.Get(ctx, eventID)
}

// EventsFollowingChanges tells which of the events have marketing events on:
// their orders are synced on every change, since a check-in changes nothing
// else (datasync.Enqueuer.FollowAllChanges).
func (s *MarketingService) EventsFollowingChanges(ctx context.Context, eventIDs []int64) (map[int64]bool, error) {
	var ids []int64
	if err := s.db.WithContext(ctx).Model(&models.MarketingEventSettings{}).Where("enabled AND event_id IN ?", eventIDs).
		Pluck("event_id", &ids).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("load marketing event settings: %w", err))
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Saved reports whether an event's settings were ever saved (the demo turns
// marketing events on only where nobody chose yet).
func (s *MarketingService) Saved(ctx context.Context, eventID int64) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.MarketingEventSettings{}).Where("event_id = ?", eventID).Count(&n).Error; err != nil {
		return false, apperr.Internal(err)
	}
	return n > 0, nil
}
