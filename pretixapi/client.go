// Package pretixapi is the pretix REST API client: base URL checks, token
// authentication, paged GETs, pacing (Limiter), retries and the mapping of
// every failure to an error that says what is wrong and what to do. It
// decodes into the wire types of package pretixwire and stores nothing.
package pretixapi

import (
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/net/idna"
)

// DefaultTimeout bounds one HTTP request to pretix (connect, TLS, headers and
// body).
const DefaultTimeout = 30 * time.Second

// Client talks to the REST API of one pretix organizer with a team API
// token. It is safe for concurrent use.
type Client struct {
	base          *url.URL // …/api/v1/
	token         string
	org           string
	http          *http.Client
	clock         clockwork.Clock
	limiter       *Limiter
	jitter        *lockedRand
	log           *slog.Logger
	allowInsecure bool
	userAgent     string

	maxAttempts   int           // per request, for 5xx and network errors
	backoffBase   time.Duration // first retry waits about this long
	backoffMax    time.Duration
	maxRateWaits  int           // 429s honoured per request before giving up
	maxRetryAfter time.Duration // longer Retry-After values fail the request
}

type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) int63n(n int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Int63n(n)
}

// Option configures a Client.
type Option func(*Client)

// WithOrganizer sets the organizer slug; without it TestConnection finds the
// token's organizer and other calls fail.
func WithOrganizer(slug string) Option { return func(c *Client) { c.org = strings.TrimSpace(slug) } }

// WithHTTPClient replaces the HTTP client (its Timeout should be set).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithClock injects the clock used for pacing and back-off.
func WithClock(clock clockwork.Clock) Option { return func(c *Client) { c.clock = clock } }

// WithRand injects the randomness used for back-off jitter.
func WithRand(r *rand.Rand) Option { return func(c *Client) { c.jitter = &lockedRand{r: r} } }

// WithLimiter shares a rate limiter (one per organizer) between clients.
func WithLimiter(l *Limiter) Option { return func(c *Client) { c.limiter = l } }

// WithAllowInsecure accepts http:// URLs for hosts other than localhost.
func WithAllowInsecure(allow bool) Option { return func(c *Client) { c.allowInsecure = allow } }

// WithLogger sets the logger for retries and waits (never logs the token).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithRetry sets attempts per request for 5xx and network errors and the
// back-off range (full jitter between base·2ⁿ/2 and base·2ⁿ, capped at max).
func WithRetry(attempts int, base, max time.Duration) Option {
	return func(c *Client) { c.maxAttempts, c.backoffBase, c.backoffMax = attempts, base, max }
}

// WithRateLimitWaits sets how many 429 answers one request honours, and the
// longest Retry-After it waits for, before failing.
func WithRateLimitWaits(n int, longest time.Duration) Option {
	return func(c *Client) { c.maxRateWaits, c.maxRetryAfter = n, longest }
}

// NewClient returns a client for the pretix installation at baseURL (e.g.
// "https://pretix.eu"; "/api/v1/" is appended unless present). It validates
// the URL and the token's presence but makes no request.
func NewClient(baseURL, token string, opts ...Option) (*Client, error) {
	c := &Client{
		clock:         clockwork.NewRealClock(),
		log:           slog.Default(),
		userAgent:     "pretix-hubspot/1",
		maxAttempts:   5,
		backoffBase:   500 * time.Millisecond,
		backoffMax:    30 * time.Second,
		maxRateWaits:  20,
		maxRetryAfter: 5 * time.Minute,
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = NewHTTPClient()
	}
	if c.jitter == nil {
		c.jitter = &lockedRand{r: rand.New(rand.NewSource(c.clock.Now().UnixNano()))}
	}
	if c.limiter == nil {
		c.limiter = NewLimiter(DefaultRateLimit, c.clock)
	}
	base, err := NormalizeBaseURL(baseURL, c.allowInsecure)
	if err != nil {
		return nil, err
	}
	c.base = base
	c.token = strings.TrimSpace(token)
	if c.token == "" {
		return nil, errTokenMissing()
	}
	if strings.ContainsFunc(c.token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, errTokenInvalid("").WithField("token", "The token must not contain spaces or line breaks.")
	}
	return c, nil
}

// NewHTTPClient returns an HTTP client with the timeouts pretix calls use.
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 10 * time.Second
	tr.ResponseHeaderTimeout = DefaultTimeout
	tr.MaxIdleConnsPerHost = 4
	return &http.Client{Timeout: DefaultTimeout, Transport: tr}
}

// Organizer returns the organizer slug the client is bound to.
func (c *Client) Organizer() string { return c.org }

// BaseURL returns the normalised API base (ending in /api/v1/).
func (c *Client) BaseURL() string { return c.base.String() }

// NormalizeBaseURL checks a pretix address and returns its API base, ending
// in "/api/v1/". A missing scheme means https; IDNA host names are converted
// to ASCII; http is refused unless the host is local or allowInsecure.
func NormalizeBaseURL(raw string, allowInsecure bool) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errURLInvalid("it is empty")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errURLInvalid("it cannot be read as a web address").Wrap(err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, errURLInvalid("it must start with https://")
	}
	if u.User != nil {
		return nil, errURLInvalid("it contains a user name or password; put the API token into the token field instead")
	}
	host := u.Hostname()
	if host == "" {
		return nil, errURLInvalid("it has no host name")
	}
	ascii := host
	if net.ParseIP(host) == nil {
		var err error
		if ascii, err = idna.Lookup.ToASCII(host); err != nil {
			return nil, errURLInvalid("the host name \u201c" + host + "\u201d is not valid").Wrap(err)
		}
	}
	if p := u.Port(); p != "" {
		u.Host = net.JoinHostPort(ascii, p)
	} else {
		u.Host = ascii
		if strings.Contains(ascii, ":") {
			u.Host = "[" + ascii + "]"
		}
	}
	if u.Scheme == "http" && !allowInsecure && !isLocalHost(ascii) {
		return nil, errURLInsecure(ascii)
	}
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, "/api/v1") {
		p += "/api/v1"
	}
	u.Path = p + "/"
	return u, nil
}

func isLocalHost(h string) bool {
	h = strings.ToLower(h)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
