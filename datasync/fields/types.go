package fields

// Type is a pretix field type. The codes are pretix's question type codes,
// so they stay stable in stored mappings and match what pretix users know.
type Type string

// The pretix field types.
const (
	TypeNumber      Type = "N"
	TypeText        Type = "S"
	TypeMultiline   Type = "T"
	TypeBool        Type = "B"
	TypeChoice      Type = "C"
	TypeMultiChoice Type = "M"
	TypeFile        Type = "F"
	TypeDate        Type = "D"
	TypeTime        Type = "H"
	TypeDateTime    Type = "W"
	TypeCountry     Type = "CC"
	TypePhone       Type = "TEL"
)

var typeLabels = map[Type]string{
	TypeNumber:      "Number",
	TypeText:        "Text (one line)",
	TypeMultiline:   "Multiline text",
	TypeBool:        "Yes/No",
	TypeChoice:      "Choose one from a list",
	TypeMultiChoice: "Choose multiple from a list",
	TypeFile:        "File upload",
	TypeDate:        "Date",
	TypeTime:        "Time",
	TypeDateTime:    "Date and time",
	TypeCountry:     "Country code (ISO 3166-1 alpha-2)",
	TypePhone:       "Phone number",
}

// Valid reports whether t is one of the known pretix types.
func (t Type) Valid() bool {
	_, ok := typeLabels[t]
	return ok
}

// Label is the English label pretix shows for the type, e.g. "Text (one line)".
func (t Type) Label() string {
	if l, ok := typeLabels[t]; ok {
		return l
	}
	return string(t)
}

// IsChoice reports whether values of this type are option identifiers that a
// value map can translate.
func (t Type) IsChoice() bool { return t == TypeChoice || t == TypeMultiChoice }
