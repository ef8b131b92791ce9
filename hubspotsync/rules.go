package hubspotsync

import (
	"fmt"
	"strings"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

// The rules a HubSpot mapping must follow, in one place: the mapping editor
// checks them when a table is saved (each broken rule is shown next to its
// row) and the sync checks them when it plans a batch (a broken rule parks
// the event's jobs as Misconfiguration). A rule returns "" when it holds,
// else what is wrong and what to do.

// ModeRule: a property row writes in one of the four modes.
func ModeRule(mode string) string {
	switch mode {
	case models.ModeOverwrite, models.ModeIfNew, models.ModeIfEmpty, models.ModeAppend:
		return ""
	}
	return "Choose a mode: Overwrite, Fill if new, Fill if empty or Add to list."
}

// PropertyRule: the property exists on the object type and HubSpot lets us
// write it. p is nil when the portal has no property of that name.
func PropertyRule(ot hubspot.ObjectType, name string, p *hubspot.Property) string {
	switch {
	case p == nil:
		return fmt.Sprintf("HubSpot has no %s property %q. Pick one from the list, or refresh the list if it was just created in HubSpot.", strings.ToLower(SingularLabel(ot)), name)
	case p.Calculated || strings.HasPrefix(p.FieldType, "calculation_"):
		return fmt.Sprintf("“%s” is calculated by HubSpot and cannot be written. Choose another property.", p.Label)
	case p.Archived:
		return fmt.Sprintf("“%s” is archived in HubSpot. Restore it in HubSpot or choose another property.", p.Label)
	case !p.Writable():
		return fmt.Sprintf("“%s” is read-only in HubSpot. Choose another property.", p.Label)
	}
	return ""
}

// IdentifierRule: the identifier property finds existing records (contact
// email, or a property with unique values). The editor explains how to get
// one; the sync only needs to know.
func IdentifierRule(ot hubspot.ObjectType, p *hubspot.Property) bool {
	return p != nil && hubspot.IsUniqueKey(ot, *p)
}

// AssociationRule: HubSpot has no default association between two records
// of one type.
func AssociationRule(from, to hubspot.ObjectType) string {
	if (from == hubspot.LineItems) != (to == hubspot.LineItems) && from != hubspot.Deals && to != hubspot.Deals {
		return "A line item belongs to one deal, so line items can be associated with deals only."
	}
	if from == to {
		return fmt.Sprintf("HubSpot has no default association between two %s; associate with mappings of other object types.", strings.ToLower(TargetLabel(from)))
	}
	return ""
}

var targetLabels = map[hubspot.ObjectType][2]string{
	hubspot.Contacts:  {"Contacts", "Contact"},
	hubspot.Companies: {"Companies", "Company"},
	hubspot.Deals:     {"Deals", "Deal"},
	hubspot.LineItems: {"Line items", "Line item"},
	hubspot.Products:  {"Products", "Product"},
}

// MappingTargets are the object types a mapping may write; products are
// written for line items, never by a mapping of their own.
var MappingTargets = []hubspot.ObjectType{hubspot.Contacts, hubspot.Companies, hubspot.Deals, hubspot.LineItems}

// SourceRule: a line item is one product an order bought, so only Order
// position mappings make line items.
func SourceRule(source string, ot hubspot.ObjectType) string {
	if ot == hubspot.LineItems && source != models.SourcePosition {
		return "A line item is one product of an order: map Order position to Line items."
	}
	return ""
}

// TargetLabel is an object type as people read it, e.g. "Contacts".
func TargetLabel(ot hubspot.ObjectType) string {
	if l, ok := targetLabels[ot]; ok {
		return l[0]
	}
	return string(ot)
}

// SingularLabel is one record of the type, e.g. "Contact".
func SingularLabel(ot hubspot.ObjectType) string {
	if l, ok := targetLabels[ot]; ok {
		return l[1]
	}
	return string(ot)
}

// The product link of a line item: the property names the product's record
// id, the field the SKU the sync finds or creates that product by.
const (
	ProductLinkProperty = "hs_product_id"
	ProductSKUField     = "product_sku"
	// ProductKeyProperty is the unique product property holding the SKU.
	ProductKeyProperty = "pretix_product_sku"
)

// IsProductLink reports whether a row writes a line item's product link.
func IsProductLink(ot hubspot.ObjectType, property string) bool {
	return ot == hubspot.LineItems && property == ProductLinkProperty
}

// ProductLinkRule: the product link takes the product SKU, from which the
// sync finds the product or creates it on first use; a number from pretix
// would point at whatever HubSpot record happens to have that id.
func ProductLinkRule(ot hubspot.ObjectType, property, field string) string {
	if IsProductLink(ot, property) && field != ProductSKUField {
		return "“Product ID” links the line item to a HubSpot product: map the pretix field “Product SKU (event, product and variation)” to it, and the sync creates the product on first use."
	}
	return ""
}
