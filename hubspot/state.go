package hubspot

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"pretix-hubspot/apperr"
)

// StateTTL is how long an OAuth state stays valid.
const StateTTL = 10 * time.Minute

// Sentinel causes of a rejected OAuth callback; test with errors.Is.
var (
	ErrStateMismatch = errors.New("oauth state does not match this session")
	ErrStateExpired  = errors.New("oauth state expired")
	ErrStateReused   = errors.New("oauth state already used")
)

// StateStore issues the OAuth `state` values: random, bound to one session,
// single use, valid for StateTTL. It lives in memory: a restart in the middle
// of the consent only means clicking Request access again.
type StateStore struct {
	mu      sync.Mutex
	clock   clockwork.Clock
	random  io.Reader
	entries map[string]*stateEntry
}

type stateEntry struct {
	session  string
	payload  string
	expires  time.Time
	consumed bool
}

// NewStateStore returns a store; random defaults to crypto/rand.
func NewStateStore(clock clockwork.Clock, random io.Reader) *StateStore {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if random == nil {
		random = rand.Reader
	}
	return &StateStore{clock: clock, random: random, entries: map[string]*stateEntry{}}
}

// Issue returns a new state bound to sessionID. payload (e.g. where to return
// after the consent) comes back from Consume.
func (s *StateStore) Issue(sessionID, payload string) (string, error) {
	if sessionID == "" {
		return "", apperr.Internal(errors.New("hubspot: oauth state needs a session id"))
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.random, b); err != nil {
		return "", apperr.Internal(err)
	}
	state := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	// Keep used and expired entries for one more TTL so that a replay is
	// reported as "reused"/"expired" rather than as an unknown state.
	for k, e := range s.entries {
		if now.After(e.expires.Add(StateTTL)) {
			delete(s.entries, k)
		}
	}
	s.entries[state] = &stateEntry{session: sessionID, payload: payload, expires: now.Add(StateTTL)}
	return state, nil
}

// Consume checks state against sessionID and uses it up. The errors are
// *apperr.Error values wrapping ErrStateMismatch, ErrStateExpired or
// ErrStateReused.
func (s *StateStore) Consume(sessionID, state string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[state]
	switch {
	case e == nil || state == "" || e.session != sessionID:
		return "", apperr.Invalid("hubspot_oauth_state_mismatch",
			"The answer from HubSpot does not belong to this browser session. Click Request access again from this page.").Wrap(ErrStateMismatch)
	case e.consumed:
		return "", apperr.Invalid("hubspot_oauth_state_reused",
			"This HubSpot answer was already used. Click Request access again to connect.").Wrap(ErrStateReused)
	case !s.clock.Now().Before(e.expires):
		e.consumed = true
		return "", apperr.Invalid("hubspot_oauth_state_expired",
			"The HubSpot connection took longer than 10 minutes. Click Request access again and finish within 10 minutes.").Wrap(ErrStateExpired)
	}
	e.consumed = true
	return e.payload, nil
}
