package hubspotsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// marketing is a run's marketing event setup (docs/marketing-events.md);
// nil when the event has the feature off.
type marketing struct {
	set       models.MarketingEventSettings
	account   string // externalAccountId: the pretix organizer
	organizer string // its name, as eventOrganizer
	ev        *models.PretixEvent
	info      *fields.EventInfo
	publicURL string
	// noAdmission holds the catalogue's items that admit nobody.
	noAdmission map[int64]bool
}

// attendance is the participation one position wants in its marketing
// event, as pretix's data says now.
type attendance struct {
	posID    int64
	subevent int64
	email    string
	state    string // models.Participation*
	at       time.Time
	joined   *time.Time
}

// LoadMarketingSettings returns an event's marketing event settings, with
// the defaults when none were saved.
func LoadMarketingSettings(ctx context.Context, db *gorm.DB, eventID int64) (models.MarketingEventSettings, error) {
	set := models.MarketingEventSettings{EventID: eventID, EmailFrom: models.MarketingEmailAttendee, RegisterOn: models.MarketingRegisterPlaced}
	err := db.WithContext(ctx).Take(&set, "event_id = ?", eventID).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return set, apperr.Internal(fmt.Errorf("load marketing event settings of event %d: %w", eventID, err))
	}
	return set, nil
}

func (p *Provider) loadMarketing(ctx context.Context, ev *models.PretixEvent, info *fields.EventInfo) (*marketing, error) {
	set, err := LoadMarketingSettings(ctx, p.db, ev.ID)
	if err != nil || !set.Enabled {
		return nil, err
	}
	var org models.PretixOrganizer
	if err := p.db.WithContext(ctx).Take(&org, ev.OrganizerID).Error; err != nil {
		return nil, apperr.Internal(fmt.Errorf("load organizer of event %d: %w", ev.ID, err))
	}
	mk := &marketing{set: set, organizer: org.Name, ev: ev, info: info, account: ExternalAccountID(org.BaseURL, org.Slug), noAdmission: map[int64]bool{}}
	for _, it := range info.Items {
		if !it.Admission {
			mk.noAdmission[it.ID] = true
		}
	}
	if mk.organizer == "" {
		mk.organizer = org.Slug
	}
	var pub struct {
		PublicURL string `json:"public_url"`
	}
	_ = json.Unmarshal([]byte(ev.EventJSON), &pub)
	mk.publicURL = pub.PublicURL
	if mk.publicURL == "" {
		mk.publicURL = strings.TrimRight(org.BaseURL, "/") + "/" + org.Slug + "/" + ev.Slug + "/"
	}
	return mk, nil
}

// ExternalAccountID names a pretix organizer to HubSpot: the pretix host and
// the organizer's slug, so two pretix installs never share an account.
func ExternalAccountID(baseURL, orgSlug string) string {
	host := baseURL
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		host = u.Host + strings.TrimRight(u.Path, "/")
	}
	return host + "/" + orgSlug
}

// ExternalEventID names a pretix event, or one date of a series, to HubSpot.
// pretix slugs have no underscore, so the date's id cannot collide.
func ExternalEventID(eventSlug string, subevent int64) string {
	if subevent == 0 {
		return eventSlug
	}
	return eventSlug + "_" + strconv.FormatInt(subevent, 10)
}

// event is the marketing event of the event or one of its dates; ok is
// false for a date the stored catalogue does not know.
func (mk *marketing) event(subevent int64) (hubspot.MarketingEvent, bool) {
	loc := mk.info.PrimaryLocale()
	me := hubspot.MarketingEvent{ExternalAccountID: mk.account, ExternalEventID: ExternalEventID(mk.ev.Slug, subevent),
		Name: mk.info.Name.Localize(loc), Type: mk.set.EventType, Organizer: mk.organizer, URL: mk.publicURL}
	if me.Name == "" {
		me.Name = mk.ev.Slug
	}
	start, end := mk.info.DateFrom, mk.info.DateTo
	if subevent != 0 {
		var se *pretixwire.SubEvent
		for i := range mk.info.SubEvents {
			if mk.info.SubEvents[i].ID == subevent {
				se = &mk.info.SubEvents[i]
			}
		}
		if se == nil {
			return me, false
		}
		start, end = se.DateFrom, se.DateTo
		if n := se.Name.Localize(loc); n != "" {
			me.Name = n
		}
		// Dates of a series share a name: the date tells them apart in HubSpot.
		if !start.IsZero() {
			tz, err := time.LoadLocation(mk.info.Timezone)
			if err != nil {
				tz = time.UTC
			}
			me.Name += " – " + start.In(tz).Format("2 Jan 2006 15:04")
		}
		me.URL = strings.TrimRight(mk.publicURL, "/") + "/" + strconv.FormatInt(subevent, 10) + "/"
		me.Cancelled = se.Active != nil && !*se.Active
	}
	if !start.IsZero() {
		me.Start = &start
	}
	if !end.IsZero() {
		me.End = &end
	}
	return me, true
}

func digestOf(me hubspot.MarketingEvent) string {
	b, _ := json.Marshal(me)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// wanted lists the participation each attendee of o should have: add-ons
// are not attendees; a canceled order or position is cancelled, a first
// entry scan attended, a placed (or, per setting, paid) order registered.
func (mk *marketing) wanted(o *pretixwire.Order, now time.Time) []attendance {
	var out []attendance
	for i := range o.Positions {
		p := &o.Positions[i]
		// Add-ons and products without admission (merchandise) are no
		// attendees.
		if p.AddonTo != 0 || mk.noAdmission[p.Item] {
			continue
		}
		email := ""
		if mk.set.EmailFrom != models.MarketingEmailBuyer {
			email = o.AttendeeEmail(p)
		}
		if email == "" {
			email = o.NormalizedEmail()
		}
		if email == "" {
			continue
		}
		a := attendance{posID: p.ID, subevent: p.Subevent, email: email}
		switch {
		case o.Status == "c" || o.Status == "e" || p.Canceled:
			a.state, a.at = models.ParticipationCancelled, now
			if o.CancellationDate != nil {
				a.at = *o.CancellationDate
			}
		case firstEntry(p) != nil:
			a.state, a.joined = models.ParticipationAttended, firstEntry(p)
			a.at = *a.joined
		case o.Status == "p":
			a.state, a.at = models.ParticipationRegistered, paidAt(o)
		case o.Status == "n" && mk.set.RegisterOn != models.MarketingRegisterPaid && !o.RequireApproval:
			a.state, a.at = models.ParticipationRegistered, o.Datetime
		default:
			continue
		}
		out = append(out, a)
	}
	return out
}

func firstEntry(p *pretixwire.Position) *time.Time {
	var first *time.Time
	for i := range p.Checkins {
		c := &p.Checkins[i]
		if c.Type != "" && c.Type != "entry" {
			continue
		}
		if first == nil || c.Datetime.Before(*first) {
			t := c.Datetime
			first = &t
		}
	}
	return first
}

// paidAt is when the order was paid: its latest confirmed payment, else
// when it was placed (free orders are paid without a payment).
func paidAt(o *pretixwire.Order) time.Time {
	at := o.Datetime
	for _, p := range o.Payments {
		if p.State == "confirmed" && p.PaymentDate != nil && p.PaymentDate.After(at) {
			at = *p.PaymentDate
		}
	}
	return at
}
