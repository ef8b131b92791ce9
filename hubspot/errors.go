package hubspot

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"pretix-hubspot/apperr"
)

// Class is how the sync treats a failure (DESIGN §5).
type Class string

// The classes.
const (
	ClassTemporary Class = "temporary" // retry with backoff; counts as an attempt
	ClassPermanent Class = "permanent" // HubSpot rejected the data; do not retry as is
	ClassConfig    Class = "config"    // misconfiguration: scopes, reconnect, unknown property
	ClassRateLimit Class = "ratelimit" // pause the portal until RetryAt; never an attempt
)

// Error is a classified HubSpot failure. It keeps what HubSpot said so the
// UI can show it verbatim; it never holds a token.
type Error struct {
	Class         Class
	Op            string // what we tried, e.g. "batch upsert contacts"
	Status        int    // HTTP status; 0 for network errors
	Message       string // HubSpot's message, or ours for network failures
	Category      string
	SubCategory   string
	CorrelationID string
	Context       map[string][]string
	Details       []ErrorDetail
	PolicyName    string    // 429: TEN_SECONDLY_ROLLING, SECONDLY, DAILY
	OAuthError    string    // OAuth endpoints: RFC 6749 error, e.g. invalid_grant
	OAuthStatus   string    // OAuth endpoints: legacy status, e.g. BAD_REFRESH_TOKEN
	RetryAt       time.Time // when trying again makes sense (rate limits, 477)
	WholeBatch    bool      // a batch call failed as a whole: bisect to find the bad input
	Err           error     // underlying cause (network), never shown
}

// ErrorDetail is one entry of HubSpot's errors[] list.
type ErrorDetail struct {
	Message     string              `json:"message"`
	Code        string              `json:"code,omitempty"`
	In          string              `json:"in,omitempty"`
	SubCategory string              `json:"subCategory,omitempty"`
	Context     map[string][]string `json:"context,omitempty"`
}

// Error renders what HubSpot said with the operation, status and correlation id.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("HubSpot")
	if e.Op != "" {
		b.WriteString(" " + e.Op)
	}
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	if e.Category != "" {
		b.WriteString(e.Category + ": ")
	} else if e.OAuthStatus != "" {
		b.WriteString(e.OAuthStatus + ": ")
	}
	b.WriteString(e.Message)
	if e.CorrelationID != "" {
		b.WriteString(" (correlation id " + e.CorrelationID + ")")
	}
	return b.String()
}

// Unwrap exposes the cause and an *apperr.Error view, so the HTTP layer's
// apperr.As finds a user-facing message without knowing this package.
func (e *Error) Unwrap() []error {
	out := []error{e.AppErr()}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Codes returns the codes of the detail entries (INVALID_OPTION, …).
func (e *Error) Codes() []string {
	var out []string
	for _, d := range e.Details {
		if d.Code != "" {
			out = append(out, d.Code)
		}
	}
	return out
}

// AppErr turns e into the application's user-facing error: what HubSpot
// said plus what to do about it.
func (e *Error) AppErr() *apperr.Error {
	said := e.Message
	if said == "" {
		said = "no details"
	}
	switch e.Class {
	case ClassRateLimit:
		msg := "HubSpot's rate limit was reached"
		if e.PolicyName == "DAILY" {
			msg = "HubSpot's daily API limit for this account was reached"
		} else if e.Status == 477 {
			msg = "HubSpot is moving this account between data centres"
		}
		if !e.RetryAt.IsZero() {
			msg += "; syncing resumes at " + e.RetryAt.UTC().Format("2006-01-02 15:04 MST")
		}
		return &apperr.Error{Kind: apperr.KindRateLimited, Code: "hubspot_rate_limited", Message: msg + "."}
	case ClassConfig:
		switch {
		case e.Category == "MISSING_SCOPES":
			return &apperr.Error{Kind: apperr.KindForbidden, Code: "hubspot_missing_scopes",
				Message: "HubSpot refused: the connection lacks a permission (" + strings.Join(e.requiredScopes(), ", ") + "). Reconnect HubSpot and grant all requested permissions."}
		case e.Status == 401 || e.OAuthError != "" || e.Category == "NEEDS_RECONNECT":
			return &apperr.Error{Kind: apperr.KindInvalid, Code: "hubspot_needs_reconnect",
				Message: "HubSpot no longer accepts this connection (" + said + "). Click Request access to reconnect HubSpot."}
		default:
			return &apperr.Error{Kind: apperr.KindInvalid, Code: "hubspot_misconfigured",
				Message: "HubSpot said: " + said + ". Check the HubSpot mapping and properties, then retry."}
		}
	case ClassPermanent:
		return &apperr.Error{Kind: apperr.KindInvalid, Code: "hubspot_rejected",
			Message: "HubSpot rejected the data: " + said + ". Correct the data or the mapping, then retry."}
	default:
		return &apperr.Error{Kind: apperr.KindUnavailable, Code: "hubspot_unavailable",
			Message: "HubSpot could not be reached or failed (" + said + "). It will be retried automatically."}
	}
}

func (e *Error) requiredScopes() []string {
	var out []string
	for _, d := range e.Details {
		out = append(out, d.Context["requiredScopes"]...)
	}
	if len(out) == 0 {
		out = []string{"unknown scope"}
	}
	return out
}

// ClassOf returns the class of a HubSpot error, or "" when err is not one.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}

// IsWholeBatch reports whether err rejected a whole batch call (bisect it).
func IsWholeBatch(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.WholeBatch
}

// RetryAt returns when err says trying again makes sense.
func RetryAt(err error) (time.Time, bool) {
	var e *Error
	if errors.As(err, &e) && !e.RetryAt.IsZero() {
		return e.RetryAt, true
	}
	return time.Time{}, false
}
