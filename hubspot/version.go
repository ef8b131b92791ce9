package hubspot

import (
	"fmt"
	"strings"
)

// APIVersion is the date version used in every API path (reference §0):
// the newest stable one. From 2026-09 on HubSpot enforces an admin's
// property validation rules on every CRM write; a write a rule refuses is a
// per-record validation error, so it fails only the orders that made it.
const APIVersion = "2026-09"

// Default base URLs; both are configurable so tests and the demo can point
// at the emulator.
const (
	DefaultAPIBaseURL = "https://api.hubapi.com"
	DefaultAppBaseURL = "https://app.hubspot.com"
)

// Batch sizes. Object batches over MaxBatchInputs are refused (the caller
// plans batches); association batches are split into MaxAssociationInputs.
const (
	MaxBatchInputs       = 100
	MaxAssociationInputs = 1000
)

// ObjectType is a CRM object type name as used in API paths.
type ObjectType string

// The object types the sync writes.
const (
	Contacts  ObjectType = "contacts"
	Companies ObjectType = "companies"
	Deals     ObjectType = "deals"
	// LineItems are what an order bought, each belonging to one deal.
	LineItems ObjectType = "line_items"
	// Products are the catalogue line items point at; they cannot be
	// associated with anything.
	Products ObjectType = "products"
)

var typeIDs = map[ObjectType]string{Contacts: "0-1", Companies: "0-2", Deals: "0-3", LineItems: "0-8", Products: "0-7"}

// Commerce scopes: optional, since only events with line items need them.
const (
	ScopeLineItemsRead    = "crm.objects.line_items.read"
	ScopeLineItemsWrite   = "crm.objects.line_items.write"
	ScopeLineItemsSchemas = "crm.schemas.line_items.write"
	ScopeProducts         = "e-commerce"
)

// TypeID returns HubSpot's object type id (0-1, 0-2, 0-3, 0-8, 0-7).
func (t ObjectType) TypeID() string { return typeIDs[t] }

// Valid reports whether t is one of the supported object types.
func (t ObjectType) Valid() bool { _, ok := typeIDs[t]; return ok }

// ParseObjectType accepts a type name or type id.
func ParseObjectType(s string) (ObjectType, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for t, id := range typeIDs {
		if s == string(t) || s == id {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown HubSpot object type %q: use contacts, companies, deals or line_items", s)
}

// RequiredScopes are requested as `scope` on the authorize URL.
var RequiredScopes = []string{
	"oauth",
	"crm.objects.contacts.read", "crm.objects.contacts.write",
	"crm.objects.companies.read", "crm.objects.companies.write",
	"crm.objects.deals.read", "crm.objects.deals.write",
	"crm.schemas.contacts.read", "crm.schemas.companies.read", "crm.schemas.deals.read",
}

// OptionalScopes are requested as `optional_scope`: the schema scopes let us
// create the unique order-key property, the marketing event scopes serve
// events that turn marketing events on; portals may grant them or not.
var OptionalScopes = []string{"crm.schemas.contacts.write", "crm.schemas.companies.write", "crm.schemas.deals.write",
	ScopeMarketingEventsRead, ScopeMarketingEventsWrite,
	ScopeLineItemsRead, ScopeLineItemsWrite, ScopeLineItemsSchemas, ScopeProducts}

// MissingScopes returns the required scopes not in granted. Static tokens
// never hold "oauth", so it is not required of them.
func MissingScopes(granted []string, static bool) []string {
	have := map[string]bool{}
	for _, s := range granted {
		have[s] = true
	}
	var out []string
	for _, s := range RequiredScopes {
		if s == "oauth" && static {
			continue
		}
		if !have[s] {
			out = append(out, s)
		}
	}
	return out
}
