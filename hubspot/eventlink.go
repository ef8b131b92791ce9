package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// LinkEvent points an event at a connected portal (replacing an earlier
// link). Linking to an active connection tells Options.OnActivated, which
// the engine uses to record when the event's HubSpot sync became usable.
func (s *Service) LinkEvent(ctx context.Context, eventID, hubID int64) error {
	conn, err := s.store.Connection(ctx, hubID)
	if err != nil {
		return err
	}
	link := models.HubSpotEventLink{EventID: eventID, HubID: hubID, LinkedAt: s.clock.Now().UTC()}
	if err := s.opts.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "event_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"hub_id", "linked_at"}),
	}).Create(&link).Error; err != nil {
		return apperr.Internal(fmt.Errorf("link event %d to hubspot %d: %w", eventID, hubID, err))
	}
	if conn.State != models.HubSpotStateActive || s.opts.OnActivated == nil {
		return nil
	}
	// Linking again retries an activation that failed after the link.
	return s.opts.OnActivated(ctx, eventID)
}

// UnlinkEvent removes an event's portal link; the connection itself stays.
func (s *Service) UnlinkEvent(ctx context.Context, eventID int64) error {
	if err := s.opts.DB.WithContext(ctx).Where("event_id = ?", eventID).Delete(&models.HubSpotEventLink{}).Error; err != nil {
		return apperr.Internal(fmt.Errorf("unlink event %d from hubspot: %w", eventID, err))
	}
	return nil
}

// EventHub returns the portal an event is linked to.
func (s *Service) EventHub(ctx context.Context, eventID int64) (int64, bool, error) {
	var link models.HubSpotEventLink
	err := s.opts.DB.WithContext(ctx).Where("event_id = ?", eventID).Take(&link).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, apperr.Internal(fmt.Errorf("load hubspot link of event %d: %w", eventID, err))
	}
	return link.HubID, true, nil
}

// LinkedEvents returns the ids of the events that write to a portal.
func (s *Service) LinkedEvents(ctx context.Context, hubID int64) ([]int64, error) {
	var ids []int64
	if err := s.opts.DB.WithContext(ctx).Model(&models.HubSpotEventLink{}).Where("hub_id = ?", hubID).
		Order("event_id").Pluck("event_id", &ids).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	return ids, nil
}

const msgEventNotConnected = "This event is not connected to HubSpot. Open Settings → HubSpot and click Request access."

// eventConfigError is a configuration-class failure (the sync parks the
// event's jobs as Misconfiguration) that the HTTP layer shows as message.
func eventConfigError(code, category, message string) error {
	return apperr.Invalid(code, message).Wrap(&Error{Class: ClassConfig, Op: "use connection", Category: category, Message: message})
}

// ClientForEvent returns the API client of the portal an event writes to.
// An event without a usable connection gets a ClassConfig error whose
// message tells people what to click.
func (s *Service) ClientForEvent(ctx context.Context, eventID int64) (*Client, *Connection, error) {
	hubID, ok, err := s.EventHub(ctx, eventID)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, eventConfigError("hubspot_event_not_connected", "NOT_CONNECTED", msgEventNotConnected)
	}
	conn, err := s.store.Connection(ctx, hubID)
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind == apperr.KindNotFound {
		return nil, nil, eventConfigError("hubspot_event_not_connected", "NOT_CONNECTED", msgEventNotConnected)
	}
	if err != nil {
		return nil, nil, err
	}
	switch conn.State {
	case models.HubSpotStateActive:
	case models.HubSpotStateNeedsReconnect:
		return nil, conn, eventConfigError("hubspot_needs_reconnect", "NEEDS_RECONNECT", fmt.Sprintf(
			"The connection to HubSpot account %d needs to be renewed (%s). Open Settings → HubSpot and click Reconnect.", hubID, reasonOr(conn.StateReason)))
	default:
		return nil, conn, eventConfigError("hubspot_event_not_connected", "NOT_CONNECTED", fmt.Sprintf(
			"HubSpot account %d was disconnected. Open Settings → HubSpot and click Request access to connect it again.", hubID))
	}
	cl, err := s.Client(ctx, hubID)
	if err != nil {
		return nil, conn, err
	}
	if s.opts.RecordLinksToAppBase {
		conn.RecordBase = s.opts.AppBaseURL
	}
	return cl, conn, nil
}

func reasonOr(r string) string {
	if r == "" {
		return "HubSpot no longer accepts the stored tokens"
	}
	return r
}

// Connection states of an event, as its HubSpot page shows them.
const (
	EventNotConnected   = "not_connected"
	EventActive         = "active"
	EventNeedsReconnect = "needs_reconnect"
	EventDisconnected   = "disconnected" // linked portal was disconnected
)

// EventStatus is everything the event's "HubSpot Integration" page shows
// about its connection. It never holds a token.
type EventStatus struct {
	State         string      `json:"state"` // Event* constant
	Connection    *Connection `json:"connection"`
	AppConfigured bool        `json:"app_configured"` // OAuth client id and secret are set
	OptionalScope []ScopeNeed `json:"missing_optional_scopes"`
	RateLimit     *RatePause  `json:"rate_limit,omitempty"` // set while the portal is paused
	SharedWith    int         `json:"shared_with"`          // other events writing to the same portal
}

// ScopeNeed is an optional scope and what it is needed for.
type ScopeNeed struct {
	Scope   string `json:"scope"`
	Purpose string `json:"purpose"`
}

// RatePause is a portal's rate-limit pause, in UTC and in the portal's time.
type RatePause struct {
	Reason      string    `json:"reason"` // Pause* constant
	Until       time.Time `json:"until"`
	UntilPortal string    `json:"until_portal"` // e.g. "2026-11-21 00:00 CET"
	Message     string    `json:"message"`
}

// EventStatus reports an event's connection, the portal's rate-limit state
// and whether "Request access" can work.
func (s *Service) EventStatus(ctx context.Context, eventID int64) (*EventStatus, error) {
	st := &EventStatus{State: EventNotConnected, OptionalScope: []ScopeNeed{}}
	id, sec, err := s.appCredentials(ctx)
	if err != nil {
		return nil, err
	}
	st.AppConfigured = id != "" && sec != ""
	hubID, ok, err := s.EventHub(ctx, eventID)
	if err != nil || !ok {
		return st, err
	}
	conn, err := s.store.Connection(ctx, hubID)
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind == apperr.KindNotFound {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	switch conn.State {
	case models.HubSpotStateActive:
		st.State = EventActive
	case models.HubSpotStateNeedsReconnect:
		st.State = EventNeedsReconnect
	default:
		st.State = EventDisconnected
		return st, nil
	}
	st.Connection = conn
	for _, sc := range OptionalScopes {
		if !containsString(conn.Scopes, sc) {
			st.OptionalScope = append(st.OptionalScope, ScopeNeed{Scope: sc, Purpose: scopePurposes[sc]})
		}
	}
	// Burst pauses last seconds and would only flicker on the page.
	if gs := s.governor.State(hubID); (gs.Reason == PauseDaily || gs.Reason == PauseMigration) && gs.PausedUntil.After(s.clock.Now()) {
		st.RateLimit = pauseView(gs, conn.Location())
	}
	linked, err := s.LinkedEvents(ctx, hubID)
	if err != nil {
		return nil, err
	}
	st.SharedWith = len(linked) - 1
	return st, nil
}

func pauseView(gs GovernorState, loc *time.Location) *RatePause {
	local := gs.PausedUntil.In(loc).Format("2006-01-02 15:04 MST")
	p := &RatePause{Reason: gs.Reason, Until: gs.PausedUntil.UTC(), UntilPortal: local}
	switch gs.Reason {
	case PauseDaily:
		p.Message = "HubSpot's daily API limit is reached; syncing resumes at " + local + " (portal time)."
	case PauseMigration:
		p.Message = "HubSpot is moving this account between data centres; syncing resumes at " + local + " (portal time)."
	default:
		p.Message = "HubSpot's rate limit is reached; syncing resumes at " + local + " (portal time)."
	}
	return p
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// connectPayload travels through the OAuth state: which event asked and
// which page to return to.
type connectPayload struct {
	EventID  int64  `json:"e"`
	ReturnTo string `json:"r"`
}

// BeginEventConnect starts "Request access" for an event; returnTo is the
// app-local path of the page to come back to.
func (s *Service) BeginEventConnect(ctx context.Context, sessionID string, eventID int64, returnTo string) (string, error) {
	b, err := json.Marshal(connectPayload{EventID: eventID, ReturnTo: returnTo})
	if err != nil {
		return "", apperr.Internal(err)
	}
	return s.BeginConnect(ctx, sessionID, string(b))
}

// EventConnectResult is what the OAuth callback did for an event.
type EventConnectResult struct {
	EventID    int64
	ReturnTo   string // app-local path; "" when the state did not say
	Connection *Connection
}

// CompleteEventConnect finishes "Request access": it completes the OAuth
// flow and links the event that started it. On failure the result still
// carries where to return when the state was valid.
func (s *Service) CompleteEventConnect(ctx context.Context, sessionID string, query url.Values) (*EventConnectResult, error) {
	res, err := s.CompleteConnect(ctx, sessionID, query)
	out := &EventConnectResult{}
	if res != nil {
		var p connectPayload
		if json.Unmarshal([]byte(res.ReturnTo), &p) == nil {
			out.EventID, out.ReturnTo = p.EventID, p.ReturnTo
		}
		out.Connection = res.Connection
	}
	if err != nil {
		return out, err
	}
	if out.EventID == 0 {
		return out, apperr.Internal(errors.New("hubspot: oauth state carried no event"))
	}
	if err := s.LinkEvent(ctx, out.EventID, out.Connection.HubID); err != nil {
		return out, err
	}
	return out, nil
}

// ConnectEventStatic validates a service key or private-app token, stores
// it and links the event to its portal.
func (s *Service) ConnectEventStatic(ctx context.Context, eventID int64, token string, hubIDHint int64) (*Connection, error) {
	conn, err := s.ConnectStatic(ctx, token, hubIDHint)
	if ae, ok := apperr.As(err); ok && ae.Code == "hubspot_hub_id_mismatch" && len(ae.Fields) == 0 {
		// The form shows this next to the account id it is about.
		ae.WithField("hub_id", "The token is for another HubSpot account.")
	}
	if err != nil {
		return nil, err
	}
	if err := s.LinkEvent(ctx, eventID, conn.HubID); err != nil {
		return nil, err
	}
	return conn, nil
}

// DisconnectEvent disconnects the portal the event writes to. Every event on
// that portal waits until it is reconnected; links, mappings, results and
// queued jobs are kept.
func (s *Service) DisconnectEvent(ctx context.Context, eventID int64) error {
	hubID, ok, err := s.EventHub(ctx, eventID)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.NotFound("hubspot_event_not_connected", msgEventNotConnected)
	}
	conn, err := s.store.Connection(ctx, hubID)
	if err != nil {
		return err
	}
	if conn.State == models.HubSpotStateRemoved {
		return apperr.NotFound("hubspot_already_disconnected", fmt.Sprintf("HubSpot account %d is already disconnected.", hubID))
	}
	return s.Disconnect(ctx, hubID)
}
