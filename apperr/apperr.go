// Package apperr holds the one error type the whole application speaks.
//
// Services return *Error with a Kind; only the HTTP layer turns a Kind into a
// status code, so packages such as the sync engine stay free of HTTP.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers (and, at the edge, for HTTP status codes).
type Kind string

// The kinds an error can have.
const (
	KindInvalid      Kind = "invalid"      // the input is wrong; Fields says where
	KindUnauthorized Kind = "unauthorized" // no or bad credentials
	KindForbidden    Kind = "forbidden"    // authenticated but not allowed
	KindNotFound     Kind = "not_found"
	KindConflict     Kind = "conflict"
	KindRateLimited  Kind = "rate_limited"
	KindUnavailable  Kind = "unavailable" // a remote service could not be reached or failed
	KindInternal     Kind = "internal"    // a bug or unexpected state; details are logged, never shown
)

// Error is a user-presentable error. Message and Fields are safe to show;
// Err is the internal cause and is only logged.
type Error struct {
	Kind    Kind
	Code    string            // stable machine-readable code, e.g. "pretix_token_invalid"
	Message string            // what is wrong and what to do, for people
	Fields  map[string]string // field name → message, for inline form errors
	Err     error             // internal cause (never serialised)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New creates an error of the given kind.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Invalid is shorthand for a KindInvalid error.
func Invalid(code, message string) *Error { return New(KindInvalid, code, message) }

// NotFound is shorthand for a KindNotFound error.
func NotFound(code, message string) *Error { return New(KindNotFound, code, message) }

// Internal wraps an unexpected error; its message is generic on purpose.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "Something went wrong on our side. The details were logged.", Err: err}
}

// WithField adds an inline message for one input field and returns e.
func (e *Error) WithField(name, message string) *Error {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	e.Fields[name] = message
	return e
}

// Wrap attaches an internal cause and returns e.
func (e *Error) Wrap(err error) *Error {
	e.Err = err
	return e
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae, true
	}
	return nil, false
}

// KindOf returns the kind of err, KindInternal when it is not an *Error.
func KindOf(err error) Kind {
	if ae, ok := As(err); ok {
		return ae.Kind
	}
	return KindInternal
}
