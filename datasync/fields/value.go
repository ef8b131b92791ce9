package fields

import (
	"strings"
	"time"
)

// Kind says which member of a Value holds the data.
type Kind uint8

// The kinds of values a field produces.
const (
	KindEmpty    Kind = iota // no value (missing answer, no invoice address, …)
	KindString               // Str: text, email, country code, phone number, time of day
	KindNumber               // Str: decimal string with a dot, e.g. "46.00"
	KindBool                 // Bool
	KindDate                 // Str "YYYY-MM-DD"; Time is midnight UTC of that day
	KindDateTime             // Time, in UTC
	KindChoice               // Str: one option code (option identifier, status or locale code)
	KindChoices              // List: option identifiers, in the order pretix lists them
)

var kindNames = [...]string{"empty", "string", "number", "bool", "date", "datetime", "choice", "choices"}

// String names the kind for logs and test output.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Value is a typed field value. It is a small value type so extraction does
// not allocate; Str and List usually share memory with the decoded order.
type Value struct {
	Kind Kind
	Str  string
	List []string
	Bool bool
	Time time.Time
}

// Empty is the value of a field that has none.
func Empty() Value { return Value{} }

// StringValue is a text value; "" becomes Empty.
func StringValue(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{Kind: KindString, Str: s}
}

// NumberValue is a decimal-string value; "" becomes Empty.
func NumberValue(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{Kind: KindNumber, Str: s}
}

// BoolValue is a yes/no value.
func BoolValue(b bool) Value { return Value{Kind: KindBool, Bool: b} }

// DateTimeValue is a point in time, stored in UTC; the zero time becomes Empty.
func DateTimeValue(t time.Time) Value {
	if t.IsZero() {
		return Value{}
	}
	return Value{Kind: KindDateTime, Time: t.UTC()}
}

// DateValue parses a "YYYY-MM-DD" date; ok is false when s is not one.
func DateValue(s string) (v Value, ok bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Value{}, false
	}
	return Value{Kind: KindDate, Str: s, Time: t}, true
}

// ChoiceValue is one option code; "" becomes Empty.
func ChoiceValue(code string) Value {
	if code == "" {
		return Value{}
	}
	return Value{Kind: KindChoice, Str: code}
}

// ChoicesValue is a list of option codes; an empty list becomes Empty.
func ChoicesValue(codes []string) Value {
	if len(codes) == 0 {
		return Value{}
	}
	return Value{Kind: KindChoices, List: codes}
}

// IsEmpty reports whether the value is missing.
func (v Value) IsEmpty() bool { return v.Kind == KindEmpty }

// Text renders the value as plain text, the way a text property would hold
// it: lists joined with ";", booleans "true"/"false", dates ISO 8601 (UTC).
func (v Value) Text() string {
	switch v.Kind {
	case KindString, KindNumber, KindDate, KindChoice:
		return v.Str
	case KindChoices:
		return strings.Join(v.List, ";")
	case KindBool:
		if v.Bool {
			return "true"
		}
		return "false"
	case KindDateTime:
		return v.Time.Format(time.RFC3339Nano)
	}
	return ""
}

// Equal reports whether two values are the same (times compared as instants).
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind || v.Str != w.Str || v.Bool != w.Bool || !v.Time.Equal(w.Time) || len(v.List) != len(w.List) {
		return false
	}
	for i := range v.List {
		if v.List[i] != w.List[i] {
			return false
		}
	}
	return true
}
