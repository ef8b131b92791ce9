package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// ProblemSource lists events with sync problems (*datasync.Status).
type ProblemSource interface {
	ProblemEvents(ctx context.Context) ([]datasync.ProblemEvent, error)
}

// ProblemsProbe: an event has sync problems.
func ProblemsProbe(src ProblemSource) Probe {
	return Probe{Kind: KindProblems, List: func(ctx context.Context) ([]Condition, error) {
		evs, err := src.ProblemEvents(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]Condition, 0, len(evs))
		for _, e := range evs {
			label := fmt.Sprintf("%s (%s)", eventName(e.EventNameJSON, e.EventSlug), orDefault(e.OrganizerName, e.OrganizerSlug))
			orders := "1 order"
			if e.Problems != 1 {
				orders = strconv.Itoa(e.Problems) + " orders"
			}
			out = append(out, Condition{Key: "problems:event:" + strconv.FormatInt(e.EventID, 10), Kind: KindProblems, Label: label,
				Subject: "Sync problems in " + label,
				Body: fmt.Sprintf("%s of %s could not be transferred to HubSpot. For example: %s\nThe Sync problems page says why and lets you retry them.",
					orders, label, e.Example),
				Link: "/organizers/" + url.PathEscape(e.OrganizerSlug) + "/events/" + url.PathEscape(e.EventSlug) + "/sync-problems"})
		}
		return out, nil
	}}
}

// ConnectionSource lists the HubSpot connections (*hubspot.Service).
type ConnectionSource interface {
	Connections(ctx context.Context) ([]hubspot.Connection, error)
}

// ReconnectProbe: a HubSpot connection needs reconnecting (its token was
// revoked, the app uninstalled); the link opens the first event using it.
func ReconnectProbe(db *gorm.DB, src ConnectionSource) Probe {
	return Probe{Kind: KindReconnect, List: func(ctx context.Context) ([]Condition, error) {
		conns, err := src.Connections(ctx)
		if err != nil {
			return nil, err
		}
		var out []Condition
		for _, c := range conns {
			if c.State != models.HubSpotStateNeedsReconnect {
				continue
			}
			label := fmt.Sprintf("HubSpot account %d", c.HubID)
			if c.HubDomain != "" {
				label += " (" + c.HubDomain + ")"
			}
			var ev struct{ Org, Event string }
			db.WithContext(ctx).Raw(`SELECT o.slug AS org, e.slug AS event FROM hubspot_event_links l
				JOIN pretix_events e ON e.id = l.event_id JOIN pretix_organizers o ON o.id = e.organizer_id
				WHERE l.hub_id = ? ORDER BY l.event_id LIMIT 1`, c.HubID).Scan(&ev)
			link := "/"
			if ev.Event != "" {
				link = "/organizers/" + url.PathEscape(ev.Org) + "/events/" + url.PathEscape(ev.Event) + "/settings/hubspot"
			}
			out = append(out, Condition{Key: "reconnect:hub:" + strconv.FormatInt(c.HubID, 10), Kind: KindReconnect, Label: label,
				Subject: label + " needs reconnecting",
				Body: "Nothing is transferred to " + label + " until it is reconnected: " + c.StateReason +
					"\nOpen the event's HubSpot page and connect again; the orders that wait are transferred then.",
				Link: link})
		}
		return out, nil
	}}
}

// LimitSource is the rate-limit governor (*hubspot.Governor).
type LimitSource interface {
	States() []hubspot.GovernorState
}

// DailyLimitProbe: a portal reached its daily API limit and transfers
// pause until its midnight.
func DailyLimitProbe(src LimitSource) Probe {
	return Probe{Kind: KindDailyLimit, List: func(context.Context) ([]Condition, error) {
		var out []Condition
		for _, st := range src.States() {
			if st.Reason != hubspot.PauseDaily {
				continue
			}
			label := fmt.Sprintf("HubSpot account %d", st.HubID)
			out = append(out, Condition{Key: "daily:hub:" + strconv.FormatInt(st.HubID, 10), Kind: KindDailyLimit, Label: label,
				Subject: label + " reached its daily API limit",
				Body: "HubSpot refuses further requests of " + label + " today. Transfers pause until the limit resets at " +
					st.PausedUntil.UTC().Format(time.RFC1123) + " and then go on by themselves; nothing is lost. " +
					"If this happens often, ask HubSpot about a higher limit or sync large backlogs over several days.",
				Link: "/"})
		}
		return out, nil
	}}
}

func eventName(nameJSON, slug string) string {
	var names map[string]string
	if json.Unmarshal([]byte(nameJSON), &names) == nil {
		if n := names["en"]; n != "" {
			return n
		}
		keys := make([]string, 0, len(names))
		for k := range names {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if names[k] != "" {
				return names[k]
			}
		}
	}
	return slug
}

func orDefault(s, d string) string {
	if s != "" {
		return s
	}
	return d
}
