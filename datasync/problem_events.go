package datasync

import (
	"context"

	"pretix-hubspot/apperr"
)

// ProblemEvent is an event with sync problems, for alerts.
type ProblemEvent struct {
	EventID       int64
	OrganizerSlug string
	OrganizerName string
	EventSlug     string
	EventNameJSON string // pretix's multilingual name
	Problems      int
	Example       string // one problem's message
}

// ProblemEvents lists every event that has sync problems now (what the
// events' dashboards show as their yellow box).
func (s *Status) ProblemEvents(ctx context.Context) ([]ProblemEvent, error) {
	var out []ProblemEvent
	err := s.db.WithContext(ctx).Raw(`SELECT e.id AS event_id, o.slug AS organizer_slug, o.name AS organizer_name, e.slug AS event_slug,
			e.name_json AS event_name_json, p.n AS problems, p.example AS example
		FROM (SELECT event_id, COUNT(*) AS n, MIN(last_error) AS example FROM sync_jobs WHERE ` + problemWhere + ` GROUP BY event_id) p
		JOIN pretix_events e ON e.id = p.event_id
		JOIN pretix_organizers o ON o.id = e.organizer_id
		ORDER BY e.id`).Scan(&out).Error
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}
