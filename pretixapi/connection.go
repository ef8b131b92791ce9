package pretixapi

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/pretixwire"
)

// ConnectionInfo is what TestConnection found out.
type ConnectionInfo struct {
	BaseURL            string // normalised API base
	Organizer          pretixwire.Organizer
	Version            string // "" when the server does not say
	Events             []pretixwire.Event
	CanViewOrders      bool // checked on the first event; true when there is none yet
	CanReadSettings    bool // the token may read event settings
	OrganizerOrderList bool // pretix 2023.8+: one organizer-wide order list
	Warnings           []string
}

// TestConnection checks URL, token, organizer and permissions and returns
// the organizer with its events, or the precise reason it cannot work. When
// the client has no organizer, the token's only organizer is used. It makes
// few attempts, so a wrong address fails fast.
func (c *Client) TestConnection(ctx context.Context) (*ConnectionInfo, error) {
	cc := *c
	cc.maxAttempts = 2
	cc.backoffBase = min(cc.backoffBase, 300*time.Millisecond)
	return cc.testConnection(ctx)
}

func (c *Client) testConnection(ctx context.Context) (*ConnectionInfo, error) {
	info := &ConnectionInfo{BaseURL: c.base.String()}
	if c.org == "" {
		orgs, err := c.Organizers(ctx)
		if err != nil {
			return nil, err
		}
		switch len(orgs) {
		case 0:
			return nil, apperr.Invalid(CodeNoOrganizer, "The API token gives access to no organizer. Create the token in a team of your organizer (Organizer → Teams).").
				WithField("token", "This token has no organizer.")
		case 1:
			c.org = orgs[0].Slug
		default:
			slugs := make([]string, len(orgs))
			for i, o := range orgs {
				slugs[i] = o.Slug
			}
			return nil, apperr.Invalid(CodeOrganizerAmbiguous, "The API token gives access to several organizers ("+strings.Join(slugs, ", ")+"). Enter the short name of the one to connect.").
				WithField("slug", "Choose one of: "+strings.Join(slugs, ", "))
		}
	}
	org, err := c.GetOrganizer(ctx)
	if err != nil {
		return nil, err
	}
	info.Organizer = *org
	if v, err := c.Version(ctx); err == nil {
		info.Version = v
	}
	if info.Events, err = c.Events(ctx); err != nil {
		return nil, err
	}
	info.CanViewOrders, info.CanReadSettings = true, true
	if len(info.Events) == 0 {
		info.Warnings = append(info.Warnings, "The organizer has no events the token can see yet, so the permission \u201cCan view orders\u201d could not be checked.")
	} else {
		first := info.Events[0].Slug
		probe := url.Values{"page_size": {"1"}, "testmode": {"false"}}
		if _, err := c.get(ctx, c.endpoint(c.eventPath(first, "orders/"), probe), callOpts{}); err != nil {
			return nil, c.mapHTTPError(err, where{event: first})
		}
		if _, err := c.EventSettings(ctx, first); err != nil {
			if !HasCode(err, CodeSettingsForbidden) {
				return nil, err
			}
			info.CanReadSettings = false
			info.Warnings = append(info.Warnings, "The token's team lacks \u201cCan change event settings\u201d, so the name scheme and languages of events are inferred from their data. Grant it for exact values.")
		}
	}
	probe := url.Values{"page_size": {"1"}, "testmode": {"false"}}
	_, err = c.get(ctx, c.endpoint(c.orgPath("orders/"), probe), callOpts{})
	switch err = c.mapHTTPError(err, where{resource: "organizer-orders"}); {
	case err == nil:
		info.OrganizerOrderList = true
	case errors.Is(err, ErrNoOrganizerOrderList):
		info.Warnings = append(info.Warnings, "This pretix version has no organizer-wide order list (it is older than 2023.8), so orders are fetched event by event, which needs more requests.")
	default:
		return nil, err
	}
	return info, nil
}
