package fields

import (
	"pretix-hubspot/pretixwire"
	"strings"
	"time"
)

// Getters of question answers and check-in times.

func answered(a *pretixwire.Answer) bool {
	return strings.TrimSpace(a.Answer) != "" || len(a.Options) > 0 || len(a.OptionIdentifiers) > 0
}

func findAnswer(p *pretixwire.Position, q *pretixwire.Question) *pretixwire.Answer {
	for i := range p.Answers {
		a := &p.Answers[i]
		if a.Question == q.ID || (a.Question == 0 && a.QuestionIdentifier == q.Identifier) {
			if answered(a) {
				return a
			}
			return nil
		}
	}
	return nil
}

// question returns the getter of one question; add-ons without an answer
// use their parent's.
func (x *index) question(q pretixwire.Question) func(c Context) (Value, error) {
	f := &Field{Label: "Question: " + q.Question.Display(x.locale)}
	return func(c Context) (Value, error) {
		a := findAnswer(c.Position, &q)
		if a == nil {
			if par := c.Order.Parent(c.Position); par != nil {
				a = findAnswer(par, &q)
			}
		}
		if a == nil {
			return Value{}, nil
		}
		text := strings.TrimSpace(a.Answer)
		switch Type(q.Type) {
		case TypeBool:
			return BoolValue(strings.EqualFold(text, "true")), nil
		case TypeChoice, TypeMultiChoice:
			ids := a.OptionIdentifiers
			if len(ids) == 0 && len(a.Options) > 0 {
				// Servers before option_identifiers existed send option ids only.
				ids = make([]string, len(a.Options))
				for i, id := range a.Options {
					ident, ok := x.options[id]
					if !ok {
						return Value{}, errStale("question option", id, x.ev.Slug)
					}
					ids[i] = ident
				}
			}
			if Type(q.Type) == TypeChoice {
				if len(ids) == 0 {
					return Value{}, nil
				}
				return ChoiceValue(ids[0]), nil
			}
			return ChoicesValue(ids), nil
		case TypeNumber:
			if !isDecimal(text) {
				return Value{}, errMalformed(f, c.Order.Code, text, "number")
			}
			return NumberValue(text), nil
		case TypeDate:
			v, ok := DateValue(text)
			if !ok {
				return Value{}, errMalformed(f, c.Order.Code, text, "date (YYYY-MM-DD)")
			}
			return v, nil
		case TypeDateTime:
			t, err := time.Parse(time.RFC3339Nano, text)
			if err != nil {
				return Value{}, errMalformed(f, c.Order.Code, text, "date and time")
			}
			return DateTimeValue(t), nil
		case TypeCountry:
			return StringValue(upperASCII(text)), nil
		case TypeMultiline:
			// Keep inner line breaks; only the ends are trimmed.
			return StringValue(text), nil
		}
		return StringValue(text), nil
	}
}

// isDecimal accepts what pretix stores for numbers: an optional sign,
// digits and at most one decimal point.
func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// firstCheckin is the earliest entry scan on the list. pretix's field reads
// the first row in newest-first order, i.e. the latest scan; the field is
// meant to be the first check-in, so we take the earliest.
func (x *index) firstCheckin(list int64) func(c Context) (Value, error) {
	return func(c Context) (Value, error) {
		var first time.Time
		for i := range c.Position.Checkins {
			ci := &c.Position.Checkins[i]
			if ci.List != list || (ci.Type != "" && ci.Type != "entry") {
				continue
			}
			if first.IsZero() || ci.Datetime.Before(first) {
				first = ci.Datetime
			}
		}
		return DateTimeValue(first), nil
	}
}
