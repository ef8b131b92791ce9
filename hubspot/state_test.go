package hubspot

import (
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/apperr"
)

func TestStateStore(t *testing.T) {
	cases := []struct {
		name     string
		session  string // session presenting the state
		state    func(issued string) string
		advance  time.Duration
		useTwice bool
		want     error
		code     string
	}{
		{name: "valid", session: "s1", state: func(s string) string { return s }},
		{name: "other session", session: "s2", state: func(s string) string { return s }, want: ErrStateMismatch, code: "hubspot_oauth_state_mismatch"},
		{name: "unknown state", session: "s1", state: func(string) string { return "forged" }, want: ErrStateMismatch, code: "hubspot_oauth_state_mismatch"},
		{name: "empty state", session: "s1", state: func(string) string { return "" }, want: ErrStateMismatch, code: "hubspot_oauth_state_mismatch"},
		{name: "expired", session: "s1", state: func(s string) string { return s }, advance: StateTTL, want: ErrStateExpired, code: "hubspot_oauth_state_expired"},
		{name: "just in time", session: "s1", state: func(s string) string { return s }, advance: StateTTL - time.Second},
		{name: "reused", session: "s1", state: func(s string) string { return s }, useTwice: true, want: ErrStateReused, code: "hubspot_oauth_state_reused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fc := clockwork.NewFakeClock()
			st := NewStateStore(fc, nil)
			issued, err := st.Issue("s1", "/back")
			if err != nil {
				t.Fatal(err)
			}
			if len(issued) < 40 {
				t.Errorf("state %q is too short to be unguessable", issued)
			}
			fc.Advance(c.advance)
			if c.useTwice {
				if _, err := st.Consume("s1", issued); err != nil {
					t.Fatal(err)
				}
			}
			payload, err := st.Consume(c.session, c.state(issued))
			if c.want == nil {
				if err != nil || payload != "/back" {
					t.Fatalf("Consume = %q, %v", payload, err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if ae, ok := apperr.As(err); !ok || ae.Code != c.code || ae.Kind != apperr.KindInvalid || ae.Message == "" {
				t.Errorf("apperr = %+v", ae)
			}
		})
	}
}

func TestStateIsRandomAndSingleUsePerState(t *testing.T) {
	st := NewStateStore(clockwork.NewFakeClock(), nil)
	a, _ := st.Issue("s", "a")
	b, _ := st.Issue("s", "b")
	if a == b {
		t.Fatal("two states are equal")
	}
	if p, err := st.Consume("s", b); err != nil || p != "b" {
		t.Fatalf("b: %q %v", p, err)
	}
	if p, err := st.Consume("s", a); err != nil || p != "a" {
		t.Fatalf("a after b: %q %v", p, err)
	}
}
