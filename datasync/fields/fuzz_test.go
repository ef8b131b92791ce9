package fields

import (
	"os"
	"path/filepath"
	"pretix-hubspot/pretixwire"
	"strings"
	"testing"
)

// FuzzDecodeOrder: any bytes pretix (or something pretending to be pretix)
// sends either fail to decode with an error or decode into an order whose
// every field of the realistic event can be computed without a panic, for
// the order and for each of its positions.
func FuzzDecodeOrder(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "orders", "*.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"code":"ABC12","positions":[{"id":1,"addon_to":1,"answers":[{"question":99,"answer":null}]}]}`))
	f.Add([]byte(`{"positions":[{"id":1,"addon_to":2},{"id":2,"addon_to":1}]}`))
	f.Add([]byte(`{"invoice_address":{"name_parts":{"_scheme":"nope","given_name":7}},"total":"1e400"}`))
	r := NewResolver(devcon(f))
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := pretixwire.DecodeOrder(raw)
		if err != nil {
			if o != nil {
				t.Fatal("an error and an order")
			}
			return
		}
		for _, fl := range r.Fields() {
			if fl.AvailableIn(ObjectOrder) {
				r.Value(fl.Key, Context{Order: o})
			}
			for i := range o.Positions {
				if fl.AvailableIn(ObjectPosition) {
					r.Value(fl.Key, Context{Order: o, Position: &o.Positions[i]})
				}
			}
		}
		_ = o.FullCode("devcon25")
	})
}

// FuzzSplitLegacyName: guessing given and family name keeps every word, in
// order, and gives a family name whenever there are two words or more.
func FuzzSplitLegacyName(f *testing.F) {
	for _, s := range []string{"Charlie de l'Exemple", "Ludwig van Beethoven", "Maria de la Cruz", "Prince", "", "  a  b  ", "de la", "Ünal Çelik"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, full string) {
		given, family := splitLegacyName(full)
		words := strings.Fields(full)
		if got := strings.Fields(given + " " + family); strings.Join(got, " ") != strings.Join(words, " ") {
			t.Fatalf("%q split into %q / %q", full, given, family)
		}
		if len(words) >= 2 && (family == "" || given == "") {
			t.Fatalf("%q split into %q / %q", full, given, family)
		}
	})
}
