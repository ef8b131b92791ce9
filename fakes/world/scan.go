package world

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	pretixfake "pretix-hubspot/fakes/pretix"
)

// Scan checks in one ticket of an order (the first one that is not an
// add-on when position is 0) now, as pretix's scanning app would.
func (w *World) Scan(event, code string, position int64) (pretixfake.Order, error) {
	o, ok := w.Pretix.Order(Organizer, event, code)
	if !ok {
		return o, errors.New("there is no order " + code + " in event " + event)
	}
	if position == 0 {
		for _, p := range o.Positions {
			if p.AddonTo == nil && !p.Canceled {
				position = p.ID
				break
			}
		}
	}
	if position == 0 {
		return o, errors.New("the order has no ticket to scan")
	}
	return w.Pretix.Scan(Organizer, event, code, position, time.Now())
}

var scanTmpl = template.Must(template.New("scan").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pretix emulator — scan a ticket</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}label{display:block;margin:.5rem 0 .2rem}
input,select{font:inherit;padding:.3rem}button{font:inherit;padding:.4rem 1rem;margin-top:.8rem}.ok{color:#146c2e}.err{color:#b00020}</style></head>
<body><main><h1>Scan a ticket</h1>
<p>The pretix emulator's stand-in for the check-in app: an entry scan of the order's first ticket, now. The other buttons change
the order as pretix's back office would: cancel its first ticket (with its add-ons), or refund part of what was paid.</p>
{{if .Message}}<p role="status" class="{{.Class}}">{{.Message}}</p>{{end}}
<form method="post" action="/_fake/scan">
<label for="event">Event</label><select id="event" name="event">{{range .Events}}<option value="{{.}}"{{if eq . $.Event}} selected{{end}}>{{.}}</option>{{end}}</select>
<label for="code">Order code</label><input id="code" name="code" value="{{.Code}}" required autocomplete="off">
<label for="amount">Refund amount</label><input id="amount" name="amount" value="{{.Amount}}" inputmode="decimal" placeholder="10.00" autocomplete="off">
<div><button type="submit" name="do" value="scan">Scan</button>
<button type="submit" name="do" value="cancel-position">Cancel first ticket</button>
<button type="submit" name="do" value="refund">Refund</button></div></form></main></body></html>`))

func (w *World) scanPage(rw http.ResponseWriter, r *http.Request) {
	data := struct {
		Events                              []string
		Event, Code, Amount, Message, Class string
	}{Events: w.Events, Event: w.Events[0]}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		data.Event, data.Code = r.FormValue("event"), strings.ToUpper(strings.TrimSpace(r.FormValue("code")))
		data.Amount = strings.TrimSpace(r.FormValue("amount"))
		msg, err := w.pageAction(r.FormValue("do"), data.Event, data.Code, data.Amount)
		if err != nil {
			msg, data.Class, status = msg+err.Error(), "err", http.StatusBadRequest
		} else {
			data.Class = "ok"
		}
		data.Message = msg
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	_ = scanTmpl.Execute(rw, data)
}

// pageAction runs one of the page's buttons: what it did, or the prefix of
// the error message when it failed.
func (w *World) pageAction(do, event, code, amount string) (string, error) {
	switch do {
	case "cancel-position":
		o, err := w.Pretix.CancelPosition(Organizer, event, code, 0)
		if err != nil {
			return "Not canceled: ", err
		}
		return "Canceled the first ticket of order " + o.Code + "; the order total is now " + o.Total + ".", nil
	case "refund":
		o, err := w.Pretix.Refund(Organizer, event, code, amount)
		if err != nil {
			return "Not refunded: ", err
		}
		return "Refunded " + o.Refunds[len(o.Refunds)-1].Amount + " of order " + o.Code + ".", nil
	}
	o, err := w.Scan(event, code, 0)
	if err != nil {
		return "Not checked in: ", err
	}
	who := ""
	if o.Email != nil {
		who = *o.Email
	}
	for _, p := range o.Positions {
		if len(p.Checkins) > 0 && p.AttendeeEmail != nil && *p.AttendeeEmail != "" {
			who = *p.AttendeeEmail
			break
		}
	}
	return "Checked in: order " + o.Code + " (" + who + ").", nil
}
