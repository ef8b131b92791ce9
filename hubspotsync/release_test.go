package hubspotsync

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/datasync"
	"pretix-hubspot/models"
)

// A live order sharing its buyer with a bulk round that is writing waits
// for the call that carries the buyer, not for the round's slowest call:
// the round's deal upsert is answered three seconds late, the live order
// is done long before, on the contact as the round left it.
func TestLiveOrderGetsASharedRecordWhenItsCallAnswers(t *testing.T) {
	const slow = 3 * time.Second
	h := newHarness(t, harnessOpts{realTime: true})
	h.addProperties(hubA)
	h.connect(hubA)
	buyer := h.mapping(1, models.SourceOrder, "contacts", "email", "email", nil,
		"invoice_address_name_given_name>firstname:overwrite",
		"order_code>first_order:if_new")
	h.mapping(2, models.SourceOrder, "deals", "event_order_code", "pretix_order_key", []int64{buyer},
		"event_order_code>dealname:overwrite")
	h.addOrder(ord{code: "B1", email: "ada@example.org", given: "Ada", family: "Lovelace", at: t0})
	h.addOrder(ord{code: "L1", email: "ada@example.org", given: "Augusta", family: "Lovelace", at: t0.Add(time.Hour)})
	upserting := make(chan struct{})
	var once sync.Once
	h.setHook(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if !strings.HasSuffix(r.URL.Path, "/deals/batch/upsert") || !bytes.Contains(body, []byte("B1")) {
			return false
		}
		rec := httptest.NewRecorder()
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		h.fake.Handler().ServeHTTP(rec, r2)
		once.Do(func() { close(upserting) })
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
			return true
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return true
	})
	runner := datasync.NewRunner(h.db, h.q, clockwork.NewRealClock(), quiet, []datasync.Provider{h.prov},
		datasync.RunnerOptions{Owner: "test"})
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { defer close(done); runner.Work(ctx) }()
	defer func() { cancel(); <-done }()
	h.must(h.q.Enqueue(h.ctx, h.event, []int64{h.orders["B1"]}, ProviderName, datasync.TriggerBulk, time.Time{}))
	runner.Poke()
	select {
	case <-upserting:
	case <-time.After(10 * time.Second):
		t.Fatal("the bulk round never upserted its deal")
	}
	start := time.Now()
	h.must(h.q.Enqueue(h.ctx, h.event, []int64{h.orders["L1"]}, ProviderName, datasync.TriggerManual, time.Time{}))
	runner.Poke()
	for h.job("L1") != nil {
		if time.Since(start) > 2*slow {
			t.Fatal("the live order was not synced")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if took := time.Since(start); took > slow/2 {
		t.Errorf("the live order took %v: it waited for the round's slowest call", took.Round(time.Millisecond))
	}
	for h.job("B1") != nil {
		if time.Since(start) > 3*slow {
			t.Fatal("the bulk order was not synced")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// As one by one: B1 created the contact, L1 overwrote the name.
	got := h.contact(hubA, "ada@example.org").Properties
	if got["firstname"] != "Augusta" || got["first_order"] != "B1" {
		t.Errorf("contact %v, want firstname Augusta, first_order B1", got)
	}
	if n := len(h.fake.Records(hubA, "contacts")); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
	if n := len(h.fake.Records(hubA, "deals")); n != 2 {
		t.Errorf("%d deals, want 2", n)
	}
}
