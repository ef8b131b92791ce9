package alerts

import (
	"context"
	"sort"
	"strings"

	"gorm.io/gorm/clause"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// Kinds of alert.
const (
	KindProblems   = "sync_problems"
	KindReconnect  = "reconnect"
	KindDailyLimit = "daily_limit"
	KindTest       = "test"
)

// Condition is something that needs a person, holding now.
type Condition struct {
	Key   string // stable, e.g. "problems:event:12"
	Kind  string
	Label string // what it is about, e.g. "DemoCon 2026 (DemoCon Events)"
	// Subject and Body announce it; the message that clears it is built
	// from Kind and Label.
	Subject, Body string
	Link          string // a path in the app, e.g. /organizers/x/events/y/sync-problems
}

// Probe lists the conditions of one kind that hold now; Kind says which
// stored states it answers for (a stored one it no longer lists has cleared).
type Probe struct {
	Kind string
	List func(ctx context.Context) ([]Condition, error)
}

// Check compares what holds now with what was last announced and sends one
// message per change. A condition seen for the first time is announced only
// when it holds. A change whose every configured channel failed is kept
// unannounced, so the next check tries again; with no channel configured,
// changes are recorded silently.
func (s *Service) Check(ctx context.Context) error {
	m, err := s.load(ctx)
	if err != nil {
		return err
	}
	var stored []models.AlertState
	if err := s.db.WithContext(ctx).Find(&stored).Error; err != nil {
		return apperr.Internal(err)
	}
	known := map[string]models.AlertState{}
	for _, st := range stored {
		known[st.Key] = st
	}
	now := s.clock.Now().UTC()
	var changes []change
	for _, p := range s.probes {
		conds, err := p.List(ctx)
		if err != nil {
			// Unknown is not "cleared": that kind waits for the next check.
			s.log.Warn("alerts: check", "kind", p.Kind, "err", err)
			continue
		}
		holding := map[string]bool{}
		for _, c := range conds {
			holding[c.Key] = true
			if st, ok := known[c.Key]; !ok || !st.Active {
				changes = append(changes, change{state: models.AlertState{Key: c.Key, Kind: c.Kind, Active: true, Label: c.Label, Link: c.Link, ChangedAt: now},
					msg: Message{Kind: c.Kind, State: "raised", Key: c.Key, Subject: c.Subject, Body: c.Body, Link: s.link(c.Link), At: now}})
			}
		}
		for _, st := range stored {
			if st.Kind == p.Kind && st.Active && !holding[st.Key] {
				subject, body := cleared(st)
				changes = append(changes, change{state: models.AlertState{Key: st.Key, Kind: st.Kind, Active: false, Label: st.Label, Link: st.Link, ChangedAt: now},
					msg: Message{Kind: st.Kind, State: "cleared", Key: st.Key, Subject: subject, Body: body, Link: s.link(st.Link), At: now}})
			}
		}
	}
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].state.Key < changes[j].state.Key })
	configured := (m.SMTPHost != "" && m.MailTo != "") || m.WebhookURL != ""
	lastFailure := ""
	delivered := false
	for _, ch := range changes {
		if configured {
			sent, failures := s.deliver(ctx, m, ch.msg, "")
			if len(failures) > 0 {
				lastFailure = failures[0]
				s.log.Warn("alerts: delivery failed", "key", ch.state.Key, "failures", strings.Join(failures, "; "))
			}
			if len(sent) == 0 {
				continue
			}
			delivered = true
			s.log.Info("alerts: sent", "key", ch.state.Key, "state", ch.msg.State, "channels", strings.Join(sent, ","))
		}
		if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&ch.state).Error; err != nil {
			return apperr.Internal(err)
		}
	}
	if lastFailure != "" {
		s.recordDelivery(ctx, lastFailure)
	} else if delivered && m.LastError != "" {
		s.recordDelivery(ctx, "")
	}
	return nil
}

type change struct {
	state models.AlertState
	msg   Message
}

func (s *Service) link(path string) string {
	if path == "" {
		return ""
	}
	return s.base + path
}

// cleared words the message that a condition no longer holds.
func cleared(st models.AlertState) (subject, body string) {
	switch st.Kind {
	case KindProblems:
		return "Sync problems solved: " + st.Label,
			"Every sync problem of " + st.Label + " is solved: the orders were transferred to HubSpot or taken off the problems list."
	case KindReconnect:
		return st.Label + " is connected again", st.Label + " works again; the orders that waited for it are being transferred."
	case KindDailyLimit:
		return st.Label + ": transfers resumed", "The daily API limit of " + st.Label + " has reset; transfers go on."
	}
	return "Resolved: " + st.Label, st.Label + " no longer needs attention."
}
