package fields

import (
	"encoding/json"
	"pretix-hubspot/pretixwire"
	"strings"
	"sync"
	"testing"
)

func TestFieldJSON(t *testing.T) {
	r := NewResolver(devcon(t))
	f, _ := r.Field("question_TSHIRT")
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"key": "question_TSHIRT", "label": "Question: T-shirt size", "category": "questions", "type": "C",
		"category_label": "Questions", "category_sort": float64(12), "type_label": "Choose one from a list",
		"picker_label": "Question: T-shirt size [Choose one from a list]",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if s := string(b); !strings.Contains(s, `"available_for":["OrderPosition"]`) || !strings.Contains(s, `{"value":"SIZE-M","label":"M"}`) {
		t.Errorf("json %s", s)
	}
	if _, ok := got["deprecated"]; ok {
		t.Error("deprecated=false should be omitted")
	}
}

// The resolver and decoded orders are shared by a batch's workers.
func TestResolverConcurrentUse(t *testing.T) {
	r := NewResolver(devcon(t))
	o := loadOrder(t, "Q7XK9_paid_addon.json")
	fields := ForObject(r.Fields(), ObjectPosition)
	want := make([]Value, len(fields))
	for i, f := range fields {
		v, err := r.Value(f.Key, Context{Order: o, Position: &o.Positions[1]})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = v
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, f := range fields {
				v, err := r.Value(f.Key, Context{Order: o, Position: &o.Positions[1]})
				if err != nil || !v.Equal(want[i]) {
					errs <- f.Key
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for k := range errs {
		t.Errorf("concurrent read of %s differed", k)
	}
}

func TestValuesOfHandBuiltOrder(t *testing.T) {
	// Orders built in code (not decoded) still normalise emails on the fly.
	o := &pretixwire.Order{Code: "HAND1", Status: "p", Email: " Mixed@Case.Example", Positions: []pretixwire.Position{{ID: 1, PositionID: 1, Item: 1345, AttendeeEmail: "A@Ü.example"}}}
	r := NewResolver(devcon(t))
	runValueCases(t, r, o, []valueCase{
		{0, "email", str("mixed@case.example")},
		{1, "attendee_email", str("a@xn--tda.example")},
	})
}
