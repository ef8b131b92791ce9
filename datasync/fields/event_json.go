package fields

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"pretix-hubspot/apperr"
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

type wireEvent struct {
	Slug         string     `json:"slug"`
	Name         I18n       `json:"name"`
	DateFrom     *time.Time `json:"date_from"`
	DateTo       *time.Time `json:"date_to"`
	Currency     string     `json:"currency"`
	Timezone     string     `json:"timezone"`
	HasSubevents bool       `json:"has_subevents"`
}

type wireSettings struct {
	Locales           []string `json:"locales"`
	Locale            string   `json:"locale"`
	NameScheme        string   `json:"name_scheme"`
	InvoiceNameScheme string   `json:"invoice_name_scheme"`
	Timezone          string   `json:"timezone"`
}

type wireVoucher struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
}

// EventInfoFromJSON builds an EventInfo from stored pretix API responses.
// Without settings, the locales are taken from the languages of the event
// name and the name scheme is pretix's default ("full").
func EventInfoFromJSON(raw RawEvent) (EventInfo, error) {
	var ev EventInfo
	if isEmptyJSON(raw.Event) {
		return ev, apperr.Invalid("event_json_missing", "The stored pretix event is missing. Refresh the event list from pretix and try again.")
	}
	var we wireEvent
	if err := json.Unmarshal(raw.Event, &we); err != nil {
		return ev, malformed("event", err)
	}
	ev.Slug, ev.Name, ev.Currency, ev.Timezone, ev.HasSubevents = we.Slug, we.Name, we.Currency, we.Timezone, we.HasSubevents
	if we.DateFrom != nil {
		ev.DateFrom = we.DateFrom.UTC()
	}
	if we.DateTo != nil {
		ev.DateTo = we.DateTo.UTC()
	}

	if !isEmptyJSON(raw.Settings) {
		var ws wireSettings
		if err := json.Unmarshal(raw.Settings, &ws); err != nil {
			return ev, malformed("event settings", err)
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
	if ev.Items, err = decodeList[Item](raw.Items, "products"); err != nil {
		return ev, err
	}
	if ev.Questions, err = decodeList[Question](raw.Questions, "questions"); err != nil {
		return ev, err
	}
	if ev.CheckinLists, err = decodeList[CheckinList](raw.CheckinLists, "check-in lists"); err != nil {
		return ev, err
	}
	if ev.SubEvents, err = decodeList[SubEvent](raw.SubEvents, "event dates"); err != nil {
		return ev, err
	}
	for i := range ev.SubEvents {
		ev.SubEvents[i].DateFrom = ev.SubEvents[i].DateFrom.UTC()
		ev.SubEvents[i].DateTo = ev.SubEvents[i].DateTo.UTC()
	}
	vouchers, err := decodeList[wireVoucher](raw.Vouchers, "vouchers")
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

// decodeList accepts a JSON array, a pretix page object or nothing.
func decodeList[T any](raw json.RawMessage, what string) ([]T, error) {
	if isEmptyJSON(raw) {
		return nil, nil
	}
	var out []T
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		var page struct {
			Results []T `json:"results"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, malformed(what, err)
		}
		return page.Results, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, malformed(what, err)
	}
	return out, nil
}

func isEmptyJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

func malformed(what string, err error) *apperr.Error {
	return apperr.Invalid("pretix_json_malformed",
		fmt.Sprintf("The stored pretix %s could not be read. Refresh the data from pretix; if this keeps happening, the pretix server sent an unexpected format.", what)).Wrap(err)
}
