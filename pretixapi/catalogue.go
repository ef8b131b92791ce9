package pretixapi

import (
	"context"
	"encoding/json"
	"pretix-hubspot/pretixwire"
)

// Version returns the server's pretix version ("" when it does not say).
func (c *Client) Version(ctx context.Context) (string, error) {
	var v struct {
		Pretix string `json:"pretix"`
	}
	if _, err := c.getObject(ctx, "version", nil, where{}, &v, callOpts{attempts: 1}); err != nil {
		return "", err
	}
	return v.Pretix, nil
}

// Organizers lists the organizers the token can see (one for team tokens).
func (c *Client) Organizers(ctx context.Context) ([]pretixwire.Organizer, error) {
	return listAll[pretixwire.Organizer](ctx, c, "organizers/", where{}, nil)
}

// GetOrganizer fetches the client's organizer.
func (c *Client) GetOrganizer(ctx context.Context) (*pretixwire.Organizer, error) {
	if err := c.needOrg(); err != nil {
		return nil, err
	}
	var o pretixwire.Organizer
	if _, err := c.getObject(ctx, c.orgPath(""), nil, where{resource: "organizer"}, &o, callOpts{}); err != nil {
		return nil, err
	}
	if o.Slug == "" {
		return nil, errNotPretix(c.base.String(), "its organizer data has no short name")
	}
	return &o, nil
}

// Events lists the organizer's events visible to the token.
func (c *Client) Events(ctx context.Context) ([]pretixwire.Event, error) {
	if err := c.needOrg(); err != nil {
		return nil, err
	}
	return listAll(ctx, c, c.orgPath("events/"), where{}, func(e *pretixwire.Event, raw json.RawMessage) { e.Raw = raw })
}

// EventSettings fetches the event's settings. Without "Can change event
// settings" it fails with CodeSettingsForbidden (KindForbidden).
func (c *Client) EventSettings(ctx context.Context, event string) (*pretixwire.EventSettings, error) {
	var s pretixwire.EventSettings
	r, err := c.getObject(ctx, c.eventPath(event, "settings/"), nil, where{event: event, resource: "settings"}, &s, callOpts{})
	if err != nil {
		return nil, err
	}
	s.Raw = r.body
	return &s, nil
}

// Items lists the event's products with their variations.
func (c *Client) Items(ctx context.Context, event string) ([]pretixwire.Item, error) {
	return listAll(ctx, c, c.eventPath(event, "items/"), where{event: event}, func(v *pretixwire.Item, raw json.RawMessage) { v.Raw = raw })
}

// Categories lists the event's product categories.
func (c *Client) Categories(ctx context.Context, event string) ([]pretixwire.Category, error) {
	return listAll(ctx, c, c.eventPath(event, "categories/"), where{event: event}, func(v *pretixwire.Category, raw json.RawMessage) { v.Raw = raw })
}

// Questions lists the event's questions with their options.
func (c *Client) Questions(ctx context.Context, event string) ([]pretixwire.Question, error) {
	return listAll(ctx, c, c.eventPath(event, "questions/"), where{event: event}, func(v *pretixwire.Question, raw json.RawMessage) { v.Raw = raw })
}

// CheckinLists lists the event's check-in lists.
func (c *Client) CheckinLists(ctx context.Context, event string) ([]pretixwire.CheckinList, error) {
	return listAll(ctx, c, c.eventPath(event, "checkinlists/"), where{event: event}, func(v *pretixwire.CheckinList, raw json.RawMessage) { v.Raw = raw })
}

// SubEvents lists the dates of an event series.
func (c *Client) SubEvents(ctx context.Context, event string) ([]pretixwire.SubEvent, error) {
	return listAll(ctx, c, c.eventPath(event, "subevents/"), where{event: event}, func(v *pretixwire.SubEvent, raw json.RawMessage) { v.Raw = raw })
}
