package fields

import (
	"encoding/json"
	"os"
	"path/filepath"
	"pretix-hubspot/pretixwire"
	"testing"
	"time"
)

func readTestdata(t testing.TB, parts ...string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawDevcon is the stored JSON of the realistic fixture event.
func rawDevcon(t testing.TB) RawEvent {
	return RawEvent{
		Event:        readTestdata(t, "devcon25", "event.json"),
		Settings:     readTestdata(t, "devcon25", "settings.json"),
		Items:        readTestdata(t, "devcon25", "items.json"),
		Questions:    readTestdata(t, "devcon25", "questions.json"),
		CheckinLists: readTestdata(t, "devcon25", "checkinlists.json"),
		Vouchers:     readTestdata(t, "devcon25", "vouchers.json"),
	}
}

func devcon(t testing.TB) EventInfo {
	t.Helper()
	ev, err := EventInfoFromJSON(rawDevcon(t))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func loadOrder(t testing.TB, name string) *pretixwire.Order {
	t.Helper()
	o, err := pretixwire.DecodeOrder(readTestdata(t, "orders", name))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func str(s string) Value        { return Value{Kind: KindString, Str: s} }
func num(s string) Value        { return Value{Kind: KindNumber, Str: s} }
func choice(s string) Value     { return Value{Kind: KindChoice, Str: s} }
func choices(s ...string) Value { return Value{Kind: KindChoices, List: s} }
func boolean(b bool) Value      { return Value{Kind: KindBool, Bool: b} }
func datetime(s string) Value   { return Value{Kind: KindDateTime, Time: utc(s)} }
func date(s string) Value       { return Value{Kind: KindDate, Str: s, Time: utc(s + "T00:00:00Z")} }
func empty() Value              { return Value{} }
