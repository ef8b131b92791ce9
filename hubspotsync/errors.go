package hubspotsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync/fields"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// Outcome classes of a failure, besides the failure modes of models:
// temporary failures are retried with backoff, waits are not attempts.
const (
	modeTemporary = "temporary"
	modeWait      = "wait"
	modeSetup     = "setup" // the event's setup is unfinished: wait for it
)

// configCodes are apperr codes that mean the mapping (or the connection)
// must change; everything else about the data of one order is permanent.
var configCodes = map[string]bool{
	CodeValueMapMissing:           true,
	CodeValueMapInvalid:           true,
	fields.CodeFieldUnknown:       true,
	fields.CodeFieldNeedsPosition: true,
	fields.CodeCatalogueStale:     true,
	codeMappingInvalid:            true,
}

// ModeOf returns the failure mode an error puts an order in: one of
// models.FailureConfig, models.FailurePermanent or models.FailureInternal
// for errors of Convert and the field catalogue, and additionally
// "temporary" and "wait" for HubSpot's temporary failures and rate limits.
func ModeOf(err error) string {
	if err == nil {
		return ""
	}
	var he *hubspot.Error
	if errors.As(err, &he) {
		switch he.Class {
		case hubspot.ClassConfig:
			return models.FailureConfig
		case hubspot.ClassPermanent:
			return models.FailurePermanent
		case hubspot.ClassRateLimit:
			return modeWait
		default:
			return modeTemporary
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return modeTemporary
	}
	ae, ok := apperr.As(err)
	if !ok {
		return models.FailureInternal
	}
	switch {
	case ae.Code == codeSetupPending:
		return modeSetup
	case configCodes[ae.Code]:
		return models.FailureConfig
	case ae.Kind == apperr.KindInternal:
		return models.FailureInternal
	case ae.Kind == apperr.KindUnavailable:
		return modeTemporary
	case ae.Kind == apperr.KindRateLimited:
		return modeWait
	case ae.Kind == apperr.KindInvalid && strings.HasPrefix(ae.Code, "hubspot_"):
		return models.FailureConfig
	}
	return models.FailurePermanent
}

// severity orders failures: an order keeps its most serious one.
var severity = map[string]int{
	modeWait: 1, modeSetup: 1, modeTemporary: 2, models.FailurePermanent: 3, models.FailureConfig: 4, models.FailureInternal: 5,
}

// failure is why an order (or an object of it) did not sync.
type failure struct {
	mode    string
	msg     string    // for people: HubSpot's or our own words
	retryAt time.Time // for modeWait
	detail  map[string]any
}

// errorJSON is the structured error kept with the job and the log entry.
func (f *failure) errorJSON() string {
	d := map[string]any{"provider": ProviderName, "mode": f.mode, "message": f.msg}
	if fix := f.fix(); fix != "" {
		d["fix"] = fix
	}
	for k, v := range f.detail {
		d[k] = v
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// about notes which mapping (and property, "" if none) a failure concerns,
// so problems group by it and the problems page can open that mapping.
func (f *failure) about(mp *mapPlan, property string) {
	if _, ok := f.detail["mapping_id"]; !ok {
		f.detail["mapping_id"] = mp.m.ID
		f.detail["object_type"] = string(mp.ot)
	}
	if property != "" {
		f.detail["property"] = property
	}
}

// cause is what failures of one kind have in common across orders — mode,
// HubSpot's category and codes or our error code, the properties and the
// mapping — and never an order's own values, so the problems page can
// count them together.
func (f *failure) cause() string {
	parts := []string{f.mode}
	for _, k := range []string{"category", "sub_category", "code", "codes", "properties", "property", "object_type", "mapping_id"} {
		if v, ok := f.detail[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	if _, coded := f.detail["code"]; !coded && f.detail["category"] == nil {
		// Nothing structured: the message, without the object it names.
		msg := f.msg
		if obj, ok := f.detail["object"].(string); ok {
			msg = strings.TrimSuffix(msg, " ("+obj+")")
		}
		parts = append(parts, msg)
	}
	return strings.Join(parts, "|")
}

// fix is what the problems page offers for a failure: "reconnect" (the
// connection must be renewed or granted more), "value_map" or "mapping"
// (edit the mapping named by mapping_id), or "" (retry, or fix in pretix).
func (f *failure) fix() string {
	code, _ := f.detail["code"].(string)
	status, _ := f.detail["status"].(int)
	switch category, _ := f.detail["category"].(string); {
	case category == "NOT_CONNECTED" || category == "NEEDS_RECONNECT" || category == "MISSING_SCOPES",
		f.mode == models.FailureConfig && (status == 401 || status == 403):
		return "reconnect" // renew the connection, or grant what it lacks
	case code == CodeValueMapMissing || code == CodeValueMapInvalid:
		return "value_map"
	case f.detail["mapping_id"] != nil && (f.mode == models.FailureConfig || f.detail["property"] != nil || f.detail["properties"] != nil):
		return "mapping"
	}
	return ""
}

// failureOf describes err for people. subject says which object it is
// about, e.g. `contacts with email "a@example.org"`; "" for whole-event
// failures.
func failureOf(err error, subject string) *failure {
	f := &failure{mode: ModeOf(err), detail: map[string]any{}}
	var he *hubspot.Error
	switch {
	case errors.As(err, &he):
		f.msg = hubspotMessage(he)
		f.retryAt = he.RetryAt
		if he.Status != 0 {
			f.detail["status"] = he.Status
		}
		for k, v := range map[string]string{"category": he.Category, "sub_category": he.SubCategory,
			"correlation_id": he.CorrelationID, "operation": he.Op, "policy": he.PolicyName} {
			if v != "" {
				f.detail[k] = v
			}
		}
		if codes := he.Codes(); len(codes) > 0 {
			f.detail["codes"] = codes
		}
		var props []string
		for _, d := range he.Details {
			if d.In != "" && !containsString(props, d.In) {
				props = append(props, d.In)
			}
		}
		if len(props) > 0 {
			sort.Strings(props)
			f.detail["properties"] = props
		}
		if he.Message != "" && he.Message != f.msg {
			f.detail["hubspot_message"] = he.Message
		}
		if he.Class == hubspot.ClassConfig || he.Class == hubspot.ClassRateLimit {
			// Our wording says what to do (reconnect, grant the scope, wait);
			// an outer apperr (e.g. "event not connected") is the most precise.
			if ae, ok := apperr.As(err); ok {
				f.msg = ae.Message
			}
		}
	default:
		if ae, ok := apperr.As(err); ok && ae.Kind != apperr.KindInternal {
			f.msg = ae.Message
			f.detail["code"] = ae.Code
		} else {
			f.msg = "An internal error stopped the sync of this order. The details were logged."
		}
	}
	if subject != "" {
		f.detail["object"] = subject
		if f.mode == models.FailurePermanent {
			f.msg += " (" + subject + ")"
		}
	}
	return f
}

// hubspotMessage is what HubSpot said: the per-property messages of a
// validation error rather than its JSON-laden summary.
func hubspotMessage(e *hubspot.Error) string {
	var parts []string
	for _, d := range e.Details {
		if d.Message != "" && !containsString(parts, d.Message) {
			parts = append(parts, d.Message)
		}
	}
	if len(parts) == 0 || strings.HasPrefix(e.Message, "This app hasn't been granted") {
		return strings.TrimSpace(e.Message)
	}
	return strings.Join(parts, "; ")
}
