package fields

import (
	"encoding/json"
	"sort"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
	"pretix-hubspot/pretixwire"
)

// RawEvent holds the stored pretix API JSON of one event. Only Event is
// required. Each list may be a JSON array or a pretix page
// ({"results": [...]}); Settings is the event settings object, which needs
// a permission the token may lack, so it may be empty.
type RawEvent struct {
	Event        json.RawMessage // GET …/events/{event}/
	Settings     json.RawMessage // GET …/events/{event}/settings/
	Items        json.RawMessage // GET …/items/ (variations embedded)
	Questions    json.RawMessage // GET …/questions/ (options embedded)
	CheckinLists json.RawMessage // GET …/checkinlists/
	SubEvents    json.RawMessage // GET …/subevents/ (event series only)
	Vouchers     json.RawMessage // GET …/vouchers/ (optional)
}

// EventInfoFromJSON builds an EventInfo from stored pretix API responses.
// Without settings, the locales are taken from the languages of the event
// name and the name scheme is pretix's default ("full").
func EventInfoFromJSON(raw RawEvent) (EventInfo, error) {
	var ev EventInfo
	if pretixwire.IsEmpty(raw.Event) {
		return ev, apperr.Invalid("event_json_missing", "The stored pretix event is missing. Refresh the event list from pretix and try again.")
	}
	var we pretixwire.Event
	if err := pretixwire.DecodeObject(raw.Event, "event", &we); err != nil {
		return ev, err
	}
	ev.Slug, ev.Name, ev.Currency, ev.Timezone, ev.HasSubevents = we.Slug, we.Name, we.Currency, we.Timezone, we.HasSubevents
	if we.DateFrom != nil {
		ev.DateFrom = we.DateFrom.UTC()
	}
	if we.DateTo != nil {
		ev.DateTo = we.DateTo.UTC()
	}

	if !pretixwire.IsEmpty(raw.Settings) {
		var ws pretixwire.EventSettings
		if err := pretixwire.DecodeObject(raw.Settings, "event settings", &ws); err != nil {
			return ev, err
		}
		ev.Locales, ev.Locale = ws.Locales, ws.Locale
		ev.NameScheme, ev.InvoiceNameScheme = ws.NameScheme, ws.InvoiceNameScheme
		if ev.Timezone == "" {
			ev.Timezone = ws.Timezone
		}
	}
	if len(ev.Locales) == 0 {
		for k := range ev.Name {
			if k != "" {
				ev.Locales = append(ev.Locales, k)
			}
		}
		sort.Strings(ev.Locales)
	}
	if ev.NameScheme == "" {
		ev.NameScheme = DefaultNameScheme
	}

	var err error
	if ev.Items, err = pretixwire.DecodeList[pretixwire.Item](raw.Items, "products"); err != nil {
		return ev, err
	}
	if ev.Questions, err = pretixwire.DecodeList[pretixwire.Question](raw.Questions, "questions"); err != nil {
		return ev, err
	}
	if ev.CheckinLists, err = pretixwire.DecodeList[pretixwire.CheckinList](raw.CheckinLists, "check-in lists"); err != nil {
		return ev, err
	}
	if ev.SubEvents, err = pretixwire.DecodeList[pretixwire.SubEvent](raw.SubEvents, "event dates"); err != nil {
		return ev, err
	}
	for i := range ev.SubEvents {
		ev.SubEvents[i].DateFrom = ev.SubEvents[i].DateFrom.UTC()
		ev.SubEvents[i].DateTo = ev.SubEvents[i].DateTo.UTC()
	}
	vouchers, err := pretixwire.DecodeList[pretixwire.Voucher](raw.Vouchers, "vouchers")
	if err != nil {
		return ev, err
	}
	if len(vouchers) > 0 {
		ev.VoucherCodes = make(map[int64]string, len(vouchers))
		for _, v := range vouchers {
			ev.VoucherCodes[v.ID] = v.Code
		}
	}
	return ev, nil
}

// EventInfoFor builds the EventInfo of a stored event: the one way the
// editor, the preview and the sync read an event's catalogue.
func EventInfoFor(ev *models.PretixEvent) (EventInfo, error) {
	info, err := EventInfoFromJSON(RawEvent{
		Event: json.RawMessage(ev.EventJSON), Settings: json.RawMessage(ev.SettingsJSON), Items: json.RawMessage(ev.ItemsJSON),
		Questions: json.RawMessage(ev.QuestionsJSON), CheckinLists: json.RawMessage(ev.CheckinListsJSON), SubEvents: json.RawMessage(ev.SubeventsJSON),
	})
	if err != nil {
		return info, err
	}
	// The puller may know the name scheme from orders when the token cannot
	// read the event settings; the name fields follow it.
	if ev.NameScheme != "" && (ev.SettingsSource == "inferred" || info.NameScheme == DefaultNameScheme) {
		info.NameScheme = ev.NameScheme
	}
	if info.Slug == "" {
		info.Slug = ev.Slug
	}
	return info, nil
}
