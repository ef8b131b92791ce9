package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/models"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// Service manages users and sessions.
type Service struct {
	db       *gorm.DB
	clock    clockwork.Clock
	ttl      time.Duration
	throttle *Throttle
	hasher   *Hasher
	// dummyHash makes a login for an unknown user cost as much as one for a
	// known user, so timing does not reveal which usernames exist. It is made
	// on first use: hashing at start would add ~100 ms to every start-up.
	dummyMu   sync.Mutex
	dummyHash string
}

// Option adjusts a Service.
type Option func(*Service)

// WithHasher sets the password hasher (its cost and concurrency); tests use
// a cheap one so that signing up in every test does not dominate the
// suite's run time.
func WithHasher(h *Hasher) Option { return func(s *Service) { s.hasher = h } }

// WithHashParams is WithHasher with the default concurrency.
func WithHashParams(p HashParams) Option { return WithHasher(DefaultHasher(p, 2)) }

// DefaultHasher runs `running` hashes at once and lets four times as many
// wait up to 5 s: enough for a team signing in together, bounded at
// `running` × the hash's memory cost.
func DefaultHasher(p HashParams, running int) *Hasher {
	return NewHasher(p, running, 4*running, 5*time.Second)
}

// NewService returns a Service; ttl is the idle lifetime of a session.
func NewService(db *gorm.DB, clock clockwork.Clock, ttl time.Duration, opts ...Option) *Service {
	s := &Service{db: db, clock: clock, ttl: ttl, throttle: NewThrottle(clock)}
	for _, o := range opts {
		o(s)
	}
	if s.hasher == nil {
		s.hasher = DefaultHasher(DefaultHashParams, 2)
	}
	return s
}

// Login is a fresh session: the cookie value and its CSRF token.
type Login struct {
	Token     string
	CSRFToken string
	User      models.User
	ExpiresAt time.Time
}

// NeedsSetup reports whether no user exists yet (first run).
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.User{}).Count(&n).Error; err != nil {
		return false, apperr.Internal(err)
	}
	return n == 0, nil
}

// Setup creates the first (admin) user and signs it in. It refuses once any
// user exists, so it cannot be used to take over an installed instance.
func (s *Service) Setup(ctx context.Context, username, password string) (*Login, error) {
	username = strings.TrimSpace(username)
	if err := validateCredentials(username, password); err != nil {
		return nil, err
	}
	// The cheap question first: hashing before it would let anyone make an
	// installed instance hash passwords for nothing.
	if needs, err := s.NeedsSetup(ctx); err != nil {
		return nil, err
	} else if !needs {
		return nil, errAlreadySetUp
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	var user models.User
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.User{}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return errAlreadySetUp
		}
		user = models.User{Username: username, PasswordHash: hash, CreatedAt: s.clock.Now().UTC()}
		return tx.Create(&user).Error
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return nil, err
		}
		return nil, apperr.Internal(err)
	}
	return s.newSession(ctx, user)
}

var errAlreadySetUp = apperr.New(apperr.KindConflict, "already_set_up", "An admin account exists already. Sign in instead.")

func validateCredentials(username, password string) error {
	e := apperr.Invalid("invalid_credentials", "Please correct the marked fields.")
	if username == "" {
		e.WithField("username", "Enter a username.")
	} else if utf8.RuneCountInString(username) > 64 {
		e.WithField("username", "Use at most 64 characters.")
	}
	if utf8.RuneCountInString(password) < MinPasswordLength {
		e.WithField("password", "Use at least 10 characters.")
	} else if len(password) > 1024 {
		e.WithField("password", "Use at most 1024 characters.")
	}
	if len(e.Fields) > 0 {
		return e
	}
	return nil
}

// ErrBadLogin is returned for a wrong username or password; it deliberately
// does not say which.
var ErrBadLogin = apperr.New(apperr.KindUnauthorized, "bad_login", "The username or password is wrong.")

// Login checks credentials and creates a session. clientAddr (the client's
// IP) feeds the throttle together with the username.
func (s *Service) Login(ctx context.Context, username, password, clientAddr string) (*Login, error) {
	username = strings.TrimSpace(username)
	if username == "" || len(username) > 256 || password == "" || len(password) > 1024 {
		return nil, ErrBadLogin // no account has such credentials: not worth a hash
	}
	res, wait := s.throttle.Reserve(LoginKeys(clientAddr, strings.ToLower(username))...)
	if res == nil {
		return nil, apperr.New(apperr.KindRateLimited, "too_many_attempts",
			"Too many failed sign-in attempts. Try again in "+humanWait(wait)+".")
	}
	defer res.Release() // a no-op once judged
	var user models.User
	err := s.db.WithContext(ctx).Where("username = ? COLLATE NOCASE", username).First(&user).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.Internal(err)
	}
	hash := user.PasswordHash
	if hash == "" {
		if hash, err = s.dummy(ctx); err != nil {
			return nil, err
		}
	}
	ok, err := s.hasher.Check(ctx, hash, password)
	if err != nil {
		return nil, err
	}
	if !ok || user.ID == 0 {
		res.Fail()
		return nil, ErrBadLogin
	}
	res.Succeed()
	return s.newSession(ctx, user)
}

// dummy returns the hash that unknown users are checked against.
func (s *Service) dummy(ctx context.Context) (string, error) {
	s.dummyMu.Lock()
	defer s.dummyMu.Unlock()
	if s.dummyHash == "" {
		h, err := s.hasher.Hash(ctx, "timing-equaliser")
		if err != nil {
			return "", err
		}
		s.dummyHash = h
	}
	return s.dummyHash, nil
}

// humanWait says a wait the way people do: "3 seconds", "14 minutes", "2 hours".
func humanWait(d time.Duration) string {
	switch {
	case d <= time.Second:
		return "a second"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Round(time.Second).Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes", int((d + time.Minute - 1).Minutes()))
	default:
		return fmt.Sprintf("%d hours", int((d + time.Hour - 1).Hours()))
	}
}

func (s *Service) newSession(ctx context.Context, user models.User) (*Login, error) {
	token, csrf := randomToken(), randomToken()
	now := s.clock.Now().UTC()
	sess := models.Session{ID: hashToken(token), UserID: user.ID, CSRFToken: csrf, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.ttl)}
	if err := s.db.WithContext(ctx).Create(&sess).Error; err != nil {
		return nil, apperr.Internal(err)
	}
	return &Login{Token: token, CSRFToken: csrf, User: user, ExpiresAt: sess.ExpiresAt}, nil
}

// Current is a valid session with its user.
type Current struct {
	Session models.Session
	User    models.User
}

// Resolve returns the session for a cookie value, sliding its expiry; it
// returns (nil, nil) for a missing, unknown or expired session.
func (s *Service) Resolve(ctx context.Context, token string) (*Current, error) {
	if token == "" {
		return nil, nil
	}
	var sess models.Session
	err := s.db.WithContext(ctx).Where("id = ?", hashToken(token)).First(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	now := s.clock.Now().UTC()
	if !now.Before(sess.ExpiresAt) {
		s.db.WithContext(ctx).Delete(&sess)
		return nil, nil
	}
	var user models.User
	if err := s.db.WithContext(ctx).First(&user, sess.UserID).Error; err != nil {
		return nil, nil
	}
	// Touch at most once a minute: a write per request would serialise reads
	// behind the single database connection for nothing.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		sess.LastSeenAt, sess.ExpiresAt = now, now.Add(s.ttl)
		s.db.WithContext(ctx).Model(&sess).Updates(map[string]any{"last_seen_at": sess.LastSeenAt, "expires_at": sess.ExpiresAt})
	}
	return &Current{Session: sess, User: user}, nil
}

// Logout ends the session of a cookie value.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := s.db.WithContext(ctx).Where("id = ?", hashToken(token)).Delete(&models.Session{}).Error; err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// DeleteExpired removes expired sessions; the scheduler calls it.
func (s *Service) DeleteExpired(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", s.clock.Now().UTC()).Delete(&models.Session{})
	return res.RowsAffected, res.Error
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
