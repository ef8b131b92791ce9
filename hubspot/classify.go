package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// wireError is HubSpot's error body; every field is optional in practice.
type wireError struct {
	Status           string              `json:"status"`
	Message          string              `json:"message"`
	CorrelationID    string              `json:"correlationId"`
	Category         string              `json:"category"`
	SubCategory      string              `json:"subCategory"`
	Context          map[string][]string `json:"context"`
	Errors           []ErrorDetail       `json:"errors"`
	PolicyName       string              `json:"policyName"`
	Error            string              `json:"error"`
	ErrorDescription string              `json:"error_description"`
}

// categoryStatus gives 207 entries (which carry no HTTP status) the status
// the same failure has on its own, so one table classifies both.
var categoryStatus = map[string]int{
	"VALIDATION_ERROR":       http.StatusBadRequest,
	"BAD_REQUEST":            http.StatusBadRequest,
	"OBJECT_NOT_FOUND":       http.StatusNotFound,
	"CONFLICT":               http.StatusConflict,
	"OBJECT_ALREADY_EXISTS":  http.StatusConflict,
	"MISSING_SCOPES":         http.StatusForbidden,
	"EXPIRED_AUTHENTICATION": http.StatusUnauthorized,
	"INVALID_AUTHENTICATION": http.StatusUnauthorized,
	"RATE_LIMITS":            http.StatusTooManyRequests,
}

// configCodes are validation codes that mean the mapping no longer fits the
// portal (a property deleted, renamed or made read-only), not bad data.
var configCodes = map[string]bool{"PROPERTY_DOESNT_EXIST": true, "READ_ONLY_VALUE": true}

// classifyStatus is the classification table (DESIGN §5, reference §5.2).
func classifyStatus(status int, w wireError) Class {
	switch {
	case status == http.StatusBadRequest:
		if strings.Contains(w.Message, "non-unique") {
			return ClassConfig
		}
		for _, d := range w.Errors {
			if configCodes[d.Code] {
				return ClassConfig
			}
		}
		return ClassPermanent
	case status == http.StatusUnauthorized:
		if w.Category == "EXPIRED_AUTHENTICATION" {
			return ClassTemporary
		}
		return ClassConfig
	case status == http.StatusForbidden:
		return ClassConfig
	case status == http.StatusNotFound:
		return ClassPermanent
	case status == http.StatusConflict:
		// A create raced with another writer; the next attempt re-reads and
		// updates instead (DESIGN §5: "409 races" are temporary).
		return ClassTemporary
	case status == http.StatusLocked:
		return ClassTemporary
	case status == http.StatusTooManyRequests:
		return ClassRateLimit
	case status == 477:
		// A data-centre move pauses the whole portal, possibly for hours:
		// like a rate limit, it must not use up the orders' attempts.
		return ClassRateLimit
	case status >= 500:
		return ClassTemporary
	default:
		return ClassPermanent
	}
}

// statusText names a status, including Cloudflare's 52x and HubSpot's 477.
func statusText(status int) string {
	switch status {
	case 477:
		return "Migration in progress"
	case 521, 522, 523, 524:
		return fmt.Sprintf("HubSpot is unreachable behind its CDN (HTTP %d)", status)
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("HTTP status %d", status)
}

func parseWire(body []byte) wireError {
	var w wireError
	// Error bodies are not always JSON (proxies, outages): then the status
	// alone classifies the answer.
	_ = json.Unmarshal(body, &w)
	return w
}

// classifyResponse turns a non-2xx response into an *Error.
func classifyResponse(op string, status int, header http.Header, body []byte, now time.Time) *Error {
	w := parseWire(body)
	e := fromWire(op, status, w)
	if status == 477 || status == http.StatusTooManyRequests {
		if d, ok := retryAfter(header, now); ok {
			e.RetryAt = now.Add(d)
		}
	}
	return e
}

func fromWire(op string, status int, w wireError) *Error {
	msg := w.Message
	if msg == "" {
		msg = w.ErrorDescription
	}
	if msg == "" {
		msg = statusText(status)
	}
	return &Error{
		Class: classifyStatus(status, w), Op: op, Status: status, Message: msg,
		Category: w.Category, SubCategory: w.SubCategory, CorrelationID: w.CorrelationID,
		Context: w.Context, Details: w.Errors, PolicyName: w.PolicyName,
	}
}

// classifyItem classifies one entry of a 207 errors[] list.
func classifyItem(op string, w wireError) *Error {
	status, ok := categoryStatus[w.Category]
	if !ok {
		status = http.StatusBadRequest
	}
	e := fromWire(op, status, w)
	e.CorrelationID = w.CorrelationID
	return e
}

// classifyOAuth classifies a token-endpoint failure. invalid_grant,
// BAD_REFRESH_TOKEN and BAD_HUB are definitive: the grant is dead.
func classifyOAuth(op string, status int, body []byte) *Error {
	w := parseWire(body)
	msg := w.ErrorDescription
	if msg == "" {
		msg = w.Message
	}
	if msg == "" {
		msg = statusText(status)
	}
	e := &Error{Op: op, Status: status, Message: msg, CorrelationID: w.CorrelationID, OAuthError: w.Error, OAuthStatus: w.Status}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests:
		e.Class = ClassTemporary
	default:
		e.Class = ClassConfig
	}
	return e
}

// deadGrant reports whether an OAuth failure means the user must reconnect.
func deadGrant(e *Error) bool {
	return e.OAuthError == "invalid_grant" || e.OAuthStatus == "BAD_REFRESH_TOKEN" || e.OAuthStatus == "BAD_HUB" || e.OAuthStatus == "BAD_AUTH_CODE"
}

// networkError classifies a transport failure: always temporary.
func networkError(op string, err error) *Error {
	msg := "network error"
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		msg = "the request timed out"
	case errors.Is(err, context.Canceled):
		msg = "the request was cancelled"
	case isNotSent(err):
		msg = "could not connect to HubSpot"
	default:
		msg = "the connection failed before HubSpot answered"
	}
	return &Error{Class: ClassTemporary, Op: op, Message: msg, Err: err}
}

// isNotSent reports whether a transport error happened before any byte of the
// request left, so even a non-idempotent call may be resent.
func isNotSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var secs int64
	for _, c := range v {
		if c < '0' || c > '9' {
			if t, err := http.ParseTime(v); err == nil {
				return t.Sub(now), true
			}
			return 0, false
		}
		secs = secs*10 + int64(c-'0')
	}
	return time.Duration(secs) * time.Second, true
}
