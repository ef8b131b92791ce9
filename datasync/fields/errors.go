package fields

import (
	"errors"
	"fmt"

	"pretix-hubspot/apperr"
)

// Error codes of the *apperr.Error values this package returns. The sync
// engine maps the first three to the "config" failure mode and
// CodeValueMalformed to "permanent".
const (
	CodeFieldUnknown       = "field_unknown"
	CodeFieldNeedsPosition = "field_needs_position"
	CodeCatalogueStale     = "catalogue_stale"
	CodeValueMalformed     = "value_malformed"
)

// ErrStaleCatalogue is wrapped by errors about orders that reference a
// product, date, question option or check-in list the stored event
// catalogue does not know: refreshing the catalogue from pretix fixes them.
var ErrStaleCatalogue = errors.New("event catalogue is older than the order")

func errUnknownField(key, event string) *apperr.Error {
	return apperr.Invalid(CodeFieldUnknown, fmt.Sprintf(
		"The pretix field %q does not exist in event %q. Its question or check-in list may have been deleted or renamed; choose another pretix field in the mapping.",
		key, event)).WithField("pretix_field", "Unknown field")
}

func errNeedsPosition(f *Field) *apperr.Error {
	return apperr.Invalid(CodeFieldNeedsPosition, fmt.Sprintf(
		"The pretix field %q is about a single ticket, so it can only be used in an Order position mapping. Choose an order field, or change the mapping's pretix object type to Order position.",
		f.Label)).WithField("pretix_field", "Needs an order position")
}

func errStale(what string, id int64, event string) *apperr.Error {
	return apperr.NotFound(CodeCatalogueStale, fmt.Sprintf(
		"This order refers to %s %d, which is not in the stored catalogue of event %q. Refresh the event's data from pretix and sync the order again.",
		what, id, event)).Wrap(ErrStaleCatalogue)
}

func errMalformed(f *Field, order, value, want string) *apperr.Error {
	return apperr.Invalid(CodeValueMalformed, fmt.Sprintf(
		"Order %s has %q in %q, which is not a valid %s. Correct it in pretix and sync the order again.",
		order, value, f.Label, want))
}
