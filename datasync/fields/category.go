package fields

// Category groups fields in the field picker.
type Category string

// The categories, in the order the picker shows them (see Category.Sort).
const (
	CategoryPosition    Category = "position"
	CategoryAttendee    Category = "attendee"
	CategoryQuestions   Category = "questions"
	CategoryCheckin     Category = "checkin"
	CategoryProduct     Category = "product"
	CategoryOrder       Category = "order"
	CategoryInvoice     Category = "invoice_address"
	CategoryEvent       Category = "event"
	CategoryEventOrDate Category = "event_or_date"
)

type categoryInfo struct {
	sort  int
	label string
}

// Sort indexes follow pretix (10, 11, 12, 20, …); check-in got its own group
// (13) because one field per check-in list clutters the position group.
var categories = map[Category]categoryInfo{
	CategoryPosition:    {10, "Order position details"},
	CategoryAttendee:    {11, "Attendee details"},
	CategoryQuestions:   {12, "Questions"},
	CategoryCheckin:     {13, "Check-in"},
	CategoryProduct:     {20, "Product details"},
	CategoryOrder:       {21, "Order details"},
	CategoryInvoice:     {22, "Invoice address"},
	CategoryEvent:       {30, "Event information"},
	CategoryEventOrDate: {31, "Event or date information"},
}

// Label is the English heading of the category.
func (c Category) Label() string {
	if i, ok := categories[c]; ok {
		return i.label
	}
	return string(c)
}

// Sort is the category's position in the picker (lower first).
func (c Category) Sort() int {
	if i, ok := categories[c]; ok {
		return i.sort
	}
	return 1000
}

// ObjectType is the pretix object a mapping reads: one external object per
// order, or one per order position. The values are pretix's model names.
type ObjectType string

// The pretix object types a mapping can read.
const (
	ObjectOrder    ObjectType = "Order"
	ObjectPosition ObjectType = "OrderPosition"
)

// Label is the English name shown in the mapping editor.
func (o ObjectType) Label() string {
	switch o {
	case ObjectOrder:
		return "Order"
	case ObjectPosition:
		return "Order position"
	}
	return string(o)
}

// Valid reports whether o is a known object type.
func (o ObjectType) Valid() bool { return o == ObjectOrder || o == ObjectPosition }
