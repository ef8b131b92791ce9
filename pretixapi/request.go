package pretixapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pretix-hubspot/apperr"
)

// maxBody bounds a response body; a page of 50 large orders is well below.
const maxBody = 64 << 20

// response is a successful (2xx) answer.
type response struct {
	header http.Header
	body   []byte
	url    *url.URL
}

// httpError is a non-2xx answer that callers interpret by endpoint, e.g. a
// 404 on the organizer-wide order list versus on an order.
type httpError struct {
	status int
	detail string // pretix's {"detail": …} when the body was JSON
	json   bool
	path   string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("pretix: %s answered %d %q", e.path, e.status, e.detail)
}

// callOpts tune one request.
type callOpts struct {
	attempts int // overrides Client.maxAttempts when > 0
}

// endpoint resolves a path below /api/v1/.
func (c *Client) endpoint(path string, q url.Values) *url.URL {
	u := c.base.ResolveReference(&url.URL{Path: path})
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return u
}

// get fetches u, pacing with the limiter, honouring 429 Retry-After without
// counting it as an attempt, and retrying 5xx, HTML 403s, malformed bodies
// and network errors with jittered exponential back-off. Non-2xx answers
// that retrying cannot fix come back as *httpError; everything else as an
// *apperr.Error. Context cancellation returns ctx.Err().
func (c *Client) get(ctx context.Context, u *url.URL, o callOpts) (*response, error) {
	attempts := c.maxAttempts
	if o.attempts > 0 {
		attempts = o.attempts
	}
	attempts = max(attempts, 1)
	rateWaits := 0
	var last error
	for attempt := 1; ; {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		resp, retryAfter, err := c.once(ctx, u)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if retryAfter >= 0 {
			rateWaits++
			if rateWaits > c.maxRateWaits || retryAfter > c.maxRetryAfter {
				return nil, errRateLimited(rateWaits - 1).Wrap(err)
			}
			c.limiter.PauseFor(retryAfter)
			c.log.Info("pretix rate limit reached; waiting as asked", "path", u.Path, "retry_after", retryAfter)
			if err := c.sleep(ctx, retryAfter); err != nil {
				return nil, err
			}
			continue
		}
		var retryable bool
		last, retryable = c.explain(u, err, attempt)
		if !retryable || attempt >= attempts {
			return nil, last
		}
		d := c.backoff(attempt)
		c.log.Debug("pretix request failed; retrying", "path", u.Path, "attempt", attempt, "wait", d, "error", last)
		if err := c.sleep(ctx, d); err != nil {
			return nil, err
		}
		attempt++
	}
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-c.clock.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff is "equal jitter": half the exponential step fixed, half random.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.backoffBase << (attempt - 1)
	if d > c.backoffMax || d <= 0 {
		d = c.backoffMax
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(c.jitter.int63n(int64(half)+1))
}

// errRetry marks answers worth another attempt; it carries the last error.
type errRetry struct {
	err    error
	status int
}

func (e *errRetry) Error() string { return e.err.Error() }
func (e *errRetry) Unwrap() error { return e.err }

// once makes one request. retryAfter >= 0 means a 429 asked to wait.
func (c *Client) once(ctx context.Context, u *url.URL) (*response, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, -1, apperr.Internal(err)
	}
	req.Header.Set("Authorization", "Token "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, -1, &errRetry{err: scrubURLError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, -1, &errRetry{err: scrubURLError(err)}
	}
	isJSON := looksJSON(resp.Header.Get("Content-Type"), body)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return nil, retryAfter(resp.Header.Get("Retry-After"), c.clock.Now()), &httpError{status: 429, path: u.Path}
	case resp.StatusCode >= 500:
		return nil, -1, &errRetry{err: &httpError{status: resp.StatusCode, path: u.Path}, status: resp.StatusCode}
	case resp.StatusCode == http.StatusForbidden && !isJSON:
		return nil, -1, &errRetry{err: errBlocked(u.Host), status: resp.StatusCode}
	case resp.StatusCode >= 300:
		return nil, -1, &httpError{status: resp.StatusCode, detail: detailOf(body), json: isJSON, path: u.Path}
	}
	if !isJSON {
		return nil, -1, errNotPretix(c.base.String(), "it sent "+describeBody(resp.Header.Get("Content-Type"), body)+" instead of JSON")
	}
	if !json.Valid(body) {
		return nil, -1, &errRetry{err: errMalformed(u.Path, errors.New("invalid JSON body"))}
	}
	return &response{header: resp.Header, body: body, url: u}, -1, nil
}

// explain turns a failed attempt into the error to report and whether it
// is worth retrying.
func (c *Client) explain(u *url.URL, err error, attempt int) (error, bool) {
	var r *errRetry
	if !errors.As(err, &r) {
		return err, false
	}
	if r.status >= 500 {
		return errServer(r.status, attempt).Wrap(r.err), true
	}
	if _, ok := apperr.As(r.err); ok {
		return r.err, true
	}
	ae := classifyNetErr(c.base, r.err)
	return ae, retryableNetErr(r.err)
}

// scrubURLError drops the request URL from *url.Error (it is harmless, but
// errors should read the same everywhere) and keeps the cause.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retryAfter reads seconds or an HTTP date; a missing or bad header means
// one second.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return time.Second
}

func looksJSON(contentType string, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		return true
	}
	if mt == "" || mt == "text/plain" {
		b := strings.TrimSpace(string(body[:min(len(body), 64)]))
		return strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[")
	}
	return false
}

func describeBody(contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "text/html" || strings.HasPrefix(strings.TrimSpace(string(body[:min(len(body), 64)])), "<"):
		return "a web page"
	case mt != "":
		return "\u201c" + mt + "\u201d"
	}
	return "an unknown kind of data"
}

func detailOf(body []byte) string {
	var d struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &d) == nil {
		return d.Detail
	}
	return ""
}

// decode reads a JSON answer into out; a shape mismatch is malformed data.
func decode(r *response, out any) error {
	if err := json.Unmarshal(r.body, out); err != nil {
		return errMalformed(r.url.Path, err)
	}
	return nil
}
