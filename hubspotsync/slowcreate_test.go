package hubspotsync

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pretix-hubspot/models"
)

// A live order whose contact create HubSpot is slow to answer: when the
// record is already there with the create's values, the sync goes on
// without the answer; when it is not, or another writer's record with
// other values is there, it waits for the answer. Every case ends with one
// contact holding what the modes say.
func TestSlowLiveCreateIsLookedFor(t *testing.T) {
	const slow = 3 * time.Second
	cases := []struct {
		name string
		// create handles the create: apply forwards it to the emulator.
		create    func(h *harness, w http.ResponseWriter, r *http.Request, apply func(http.ResponseWriter))
		fast      bool   // done well before slow
		firstname string // the contact's afterwards
		action    string
	}{
		{"applied at once, answered late", func(h *harness, w http.ResponseWriter, r *http.Request, apply func(http.ResponseWriter)) {
			rec := httptest.NewRecorder()
			apply(rec)
			select {
			case <-time.After(slow):
			case <-r.Context().Done():
				return
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		}, true, "Ada", "created"},
		{"applied late", func(h *harness, w http.ResponseWriter, r *http.Request, apply func(http.ResponseWriter)) {
			time.Sleep(slow)
			apply(w)
		}, false, "Ada", "created"},
		{"another writer's record meanwhile", func(h *harness, w http.ResponseWriter, r *http.Request, apply func(http.ResponseWriter)) {
			h.fake.SeedRecord(hubA, "contacts", map[string]string{"email": "ada@example.org", "firstname": "Augusta", "lastname": "Byron"})
			time.Sleep(slow)
			apply(w) // 409: the email is taken
		}, false, "Ada", "updated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{realTime: true})
			h.connect(hubA)
			h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil,
				"invoice_address_name_given_name>firstname:overwrite",
				"invoice_address_name_family_name>lastname:if_new")
			h.addOrder(ord{code: "A1", email: "ada@example.org", given: "Ada", family: "Lovelace", at: t0})
			h.setHook(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
				if !strings.HasSuffix(r.URL.Path, "/contacts/batch/create") {
					return false
				}
				c.create(h, w, r, func(w http.ResponseWriter) {
					r2 := r.Clone(r.Context())
					r2.Body = io.NopCloser(bytes.NewReader(body))
					h.fake.Handler().ServeHTTP(w, r2)
				})
				return true
			})
			start := time.Now()
			h.sync("A1")
			took := time.Since(start)
			h.done("A1")
			if c.fast && took > slow*3/4 {
				t.Errorf("took %v: the record was there, the create's answer need not be waited for", took.Round(time.Millisecond))
			}
			if !c.fast && took < slow {
				t.Errorf("took %v: went on without the create's answer", took.Round(time.Millisecond))
			}
			if n := len(h.fake.Records(hubA, "contacts")); n != 1 {
				t.Errorf("%d contacts, want 1", n)
			}
			got := h.contact(hubA, "ada@example.org").Properties
			if got["firstname"] != c.firstname {
				t.Errorf("firstname %q, want %q", got["firstname"], c.firstname)
			}
			if rs := h.results("A1"); len(rs) != 1 || rs[0].Action != c.action || rs[0].ExternalID == "" {
				t.Errorf("results %+v, want one %s with the record's id", rs, c.action)
			}
		})
	}
}
