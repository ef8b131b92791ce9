package hubspotfake

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// findBy answers from the value index; the index must follow every change:
// a changed or removed value is found under its new value only, and of
// several records holding a value the oldest comes first.
func TestFindByFollowsChanges(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	// The emulator's own clock dates records: a real one would make "a"
	// newer than "b" once the wall clock passes now.
	s := New(Options{Clock: clockwork.NewFakeClockAt(now)})
	pt := newPortal(Portal{ID: 1}, time.UTC, now)
	st := pt.objects["contacts"]
	a := s.newRecord(pt, "contacts", "1")
	b := s.newRecord(pt, "contacts", "2")
	b.created = now.Add(time.Second)
	steps := []struct {
		name   string
		change func()
		prop   string
		value  string
		want   string // record id, "" for none
	}{
		{"set", func() { applyProps(st, a, map[string]string{"email": "ada@example.org"}) }, "email", "ada@example.org", "1"},
		{"case-insensitive", func() {}, "email", "ADA@example.org", "1"},
		{"changed: the old value is gone", func() { applyProps(st, a, map[string]string{"email": "ada@new.example"}) }, "email", "ada@example.org", ""},
		{"changed: the new value finds it", func() {}, "email", "ada@new.example", "1"},
		{"shared value: oldest first", func() {
			applyProps(st, b, map[string]string{"company": "Acme"})
			applyProps(st, a, map[string]string{"company": "Acme"})
		}, "company", "Acme", "1"},
		{"emptied: the next holder", func() { applyProps(st, a, map[string]string{"company": ""}) }, "company", "Acme", "2"},
		{"empty values are never found", func() {}, "company", "", ""},
		{"by id", func() {}, "hs_object_id", "2", "2"},
	}
	for _, c := range steps {
		c.change()
		got := ""
		if r := pt.findBy("contacts", c.prop, c.value); r != nil {
			got = r.id
		}
		if got != c.want {
			t.Errorf("%s: findBy(%s=%q) = %q, want %q", c.name, c.prop, c.value, got, c.want)
		}
	}
	if _, ok := a.props["company"]; ok {
		t.Error("an emptied property must be removed from the record")
	}
}
