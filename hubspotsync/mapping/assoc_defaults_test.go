package mapping

import (
	"slices"
	"testing"

	"pretix-hubspot/hubspot"
	"pretix-hubspot/models"
)

func TestDefaultAssociations(t *testing.T) {
	all := []*stored{
		{om: models.ObjectMapping{ID: 1, TargetType: "contacts"}},
		{om: models.ObjectMapping{ID: 2, TargetType: "deals"}},
		{om: models.ObjectMapping{ID: 3, TargetType: "companies"}},
		{om: models.ObjectMapping{ID: 4, TargetType: "line_items"}},
	}
	for _, c := range []struct {
		tgt  hubspot.ObjectType
		want []int64
	}{
		{hubspot.Contacts, []int64{2, 3}},
		{hubspot.Deals, []int64{1, 3, 4}},
		{hubspot.LineItems, []int64{2}},
	} {
		if got := defaultAssociations(all, c.tgt); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.tgt, got, c.want)
		}
	}
}
