// Package fields is the provider-neutral catalogue of pretix source fields:
// which fields an event offers to a mapping (Catalogue), how each field's
// value is computed from a stored pretix order (Resolver), and whether a
// field's type fits a target property type (Compatible).
//
// Inputs are decoded from the same JSON the pretix REST API returns, so the
// integration layer can feed what it stored without going through a client
// package. Values come out typed (Value) and are turned into provider values
// by a converter elsewhere.
package fields
