package hubspotsync

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pretix-hubspot/datasync"
	"pretix-hubspot/models"
)

// resultID is the record id an order's result stores for an object type.
func (h *harness) resultID(code, objectType string) string {
	h.t.Helper()
	for _, sr := range h.results(code) {
		if sr.ObjectType == objectType && sr.ExternalID != "" {
			return sr.ExternalID
		}
	}
	h.t.Fatalf("order %s has no %s result", code, objectType)
	return ""
}

// A contact an admin merged into another is found again by its email (now
// the survivor's additional email): the next sync updates the survivor and
// stores its id, and creates no second contact.
func TestAMergedContactIsFoundAgainByItsEmail(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	h.addOrder(ord{code: "M1", email: "ann@work.example", given: "Ann", family: "Work", at: t0.Add(time.Hour)})
	h.addOrder(ord{code: "M2", email: "ann@home.example", given: "Annie", family: "Home", at: t0.Add(2 * time.Hour)})
	h.sync("M1", "M2")
	h.done("M1", "M2")
	work, home := h.resultID("M1", "contacts"), h.resultID("M2", "contacts")

	survivor, err := h.fake.Merge(hubA, "contacts", work, home)
	h.must(err)
	h.addOrder(ord{code: "M3", email: "ann@home.example", given: "Anna", family: "Home", at: t0.Add(3 * time.Hour)})
	h.sync("M2", "M3")
	h.done("M2", "M3")

	if got := h.resultID("M2", "contacts"); got != survivor {
		t.Errorf("M2's link points at %s, want the survivor %s", got, survivor)
	}
	contacts := h.fake.Records(hubA, "contacts")
	if len(contacts) != 1 || contacts[0].ID != survivor {
		t.Fatalf("contacts %+v; want only the survivor %s", contacts, survivor)
	}
	got := contacts[0].Properties
	if got["email"] != "ann@work.example" || got["firstname"] != "Anna" || got["orders"] != "M1;M2;M3" {
		t.Errorf("survivor = %v; want email kept, firstname from M3, orders M1;M2;M3", got)
	}
}

// A record merged away between the read and the update (HubSpot answers
// 404 for the old id) is read again by its identifier and the update goes
// to the survivor in the same run, without a problem.
func TestARecordMergedDuringTheSyncIsUpdatedInTheSameRun(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.contactMappings()
	h.addOrder(ord{code: "R1", email: "bo@example.org", given: "Bo", family: "One", at: t0.Add(time.Hour)})
	h.sync("R1")
	h.done("R1")
	other := h.fake.SeedRecord(hubA, "contacts", map[string]string{"email": "bo.other@example.org", "firstname": "Robert"})
	old := h.resultID("R1", "contacts")

	var survivor atomic.Value
	var merged atomic.Bool
	h.setHook(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if strings.HasSuffix(r.URL.Path, "/contacts/batch/update") && !merged.Swap(true) {
			id, err := h.fake.Merge(hubA, "contacts", other, old)
			if err != nil {
				t.Errorf("merge: %v", err)
			}
			survivor.Store(id)
		}
		return false
	})
	h.addOrder(ord{code: "R2", email: "bo@example.org", given: "Bobby", family: "Two", at: t0.Add(2 * time.Hour)})
	before404 := h.fake.Stats().Statuses[http.StatusMultiStatus] + h.fake.Stats().Statuses[http.StatusNotFound]
	h.sync("R2")
	h.done("R2")

	if !merged.Load() {
		t.Fatal("no update was sent: the merge never happened")
	}
	if n := h.fake.Stats().Statuses[http.StatusMultiStatus] + h.fake.Stats().Statuses[http.StatusNotFound]; n == before404 {
		t.Fatal("HubSpot never refused the old id: the race did not happen")
	}
	id := survivor.Load().(string)
	if got := h.resultID("R2", "contacts"); got != id {
		t.Errorf("R2's link points at %s, want the survivor %s", got, id)
	}
	got := h.contact(hubA, "bo@example.org")
	if got.ID != id || got.Properties["firstname"] != "Bobby" || got.Properties["orders"] != "R1;R2" {
		t.Errorf("bo@ = %s %v; want the survivor %s updated by R2", got.ID, got.Properties, id)
	}
	if n := len(h.fake.Records(hubA, "contacts")); n != 1 {
		t.Errorf("%d contacts, want the survivor only", n)
	}
}

// dealByKey maps orders onto deals by the order key, with a Fill if new
// row so the deal is read before it is written.
func (h *harness) dealByKey() {
	h.mapping(1, models.SourceOrder, "deals", "event_order_code", "pretix_order_key", nil,
		"order_code>dealname:if_new", "order_total>amount:overwrite")
}

// A deal merged away loses its order key (HubSpot keeps the survivor's
// unique values). Merged into a deal without a key, the survivor is the
// order's deal: it is found by the stored id, updated, and given the key
// back. Merged into another order's deal, which record the order belongs to
// is a person's call: a problem says so, and a Retry gives the order a deal
// of its own again.
func TestADealMergedAwayIsFoundByItsStoredIDOrReportedWhenAmbiguous(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.connect(hubA)
	h.dealByKey()
	for i, code := range []string{"D1", "D2", "D3", "D4", "D5"} {
		h.addOrder(ord{code: code, email: strings.ToLower(code) + "@example.org", total: "10.00", at: t0.Add(time.Duration(i+1) * time.Hour)})
	}
	h.sync("D1", "D2", "D3", "D4", "D5")
	h.done("D1", "D2", "D3", "D4", "D5")
	d1, d2, d3 := h.resultID("D1", "deals"), h.resultID("D2", "deals"), h.resultID("D3", "deals")
	// D4's and D5's deals both merged into one deal without a key.
	pot := h.fake.SeedRecord(hubA, "deals", map[string]string{"dealname": "Group booking"})
	pot, err := h.fake.Merge(hubA, "deals", pot, h.resultID("D4", "deals"))
	h.must(err)
	pot, err = h.fake.Merge(hubA, "deals", pot, h.resultID("D5", "deals"))
	h.must(err)
	key1 := h.fake.Records(hubA, "deals")[0].Properties["pretix_order_key"]

	manual := h.fake.SeedRecord(hubA, "deals", map[string]string{"dealname": "Sales call", "amount": "99"})
	healed, err := h.fake.Merge(hubA, "deals", manual, d1)
	h.must(err)
	shared, err := h.fake.Merge(hubA, "deals", d2, d3)
	h.must(err)

	for _, code := range []string{"D1", "D3", "D4", "D5"} {
		h.addOrder(ord{code: code, email: strings.ToLower(code) + "@example.org", total: "25.00", at: t0})
	}
	h.syncAs(datasync.TriggerChanged, "D1", "D3", "D4", "D5")
	for _, code := range []string{"D4", "D5"} {
		h.failed(code, models.FailurePermanent, "into record "+pot+", together with the records of other orders")
	}
	h.done("D1")
	if got := h.resultID("D1", "deals"); got != healed {
		t.Errorf("D1's link points at %s, want the survivor %s", got, healed)
	}
	deal, ok := h.fake.FindRecord(hubA, "deals", "pretix_order_key", key1)
	if !ok || deal.ID != healed || deal.Properties["amount"] != "25.00" || deal.Properties["dealname"] != "Sales call" {
		t.Errorf("deal by D1's key = %v %+v; want the survivor %s with amount 25.00 and its own name", ok, deal, healed)
	}
	j := h.failed("D3", models.FailurePermanent, "merged the deals record this order was synced to ("+d3+") into record "+shared)
	if !strings.Contains(j.LastError, "choose Retry") {
		t.Errorf("the problem does not say what to do: %s", j.LastError)
	}
	if n := len(h.fake.Records(hubA, "deals")); n != 3 {
		t.Errorf("%d deals after the ambiguous sync, want 3 (nothing created)", n)
	}

	_, err = h.q.Retry(h.ctx, []int64{j.ID})
	h.must(err)
	h.must(h.runner.RunOnce(h.ctx))
	h.done("D3")
	if got := h.resultID("D3", "deals"); got == shared || got == d3 {
		t.Errorf("after Retry D3 still points at %s", got)
	}
	if n := len(h.fake.Records(hubA, "deals")); n != 4 {
		t.Errorf("%d deals after Retry, want 4 (D3's own again)", n)
	}
	if h.resultID("D2", "deals") != d2 {
		t.Errorf("D2's stored link changed without a sync of D2")
	}
}

// Stored record ids belong to the portal they were written to: after the
// event is connected to another HubSpot account, a record missing there is
// created, and the old account's ids are never looked up in the new one.
func TestStoredIDsOfAnotherPortalAreNotLookedUp(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.addProperties(hubA)
	h.addProperties(hubB)
	h.connect(hubA)
	h.dealByKey()
	h.addOrder(ord{code: "X1", email: "x1@example.org", at: t0.Add(time.Hour)})
	h.sync("X1")
	h.done("X1")

	h.connect(hubB)
	var byID atomic.Int32
	h.setHook(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if strings.HasSuffix(r.URL.Path, "/batch/read") && strings.Contains(string(body), `"idProperty":"hs_object_id"`) {
			byID.Add(1)
		}
		return false
	})
	h.syncAs(datasync.TriggerChanged, "X1")
	h.done("X1")
	if n := byID.Load(); n != 0 {
		t.Errorf("%d reads by record id in the new portal", n)
	}
	if got := len(h.fake.Records(hubB, "deals")); got != 1 {
		t.Errorf("%d deals in the new portal, want 1", got)
	}
}
