package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"
)

// Client calls the HubSpot API for one portal. Get it from Service.Client.
type Client struct {
	svc     *Service
	hubID   int64
	tokens  tokenSource
	limiter *portalLimiter
}

// HubID returns the portal the client talks to.
func (c *Client) HubID() int64 { return c.hubID }

// Limits returns the portal's rate-limit state as the governor knows it.
func (c *Client) Limits() GovernorState { return c.limiter.state() }

type request struct {
	op     string // for messages, e.g. "batch upsert contacts"
	method string
	path   string
	query  url.Values
	body   any
	// idempotent calls are resent after network errors and 5xx; others
	// only when the request surely never left (a refused connection).
	idempotent bool
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// maxResponse bounds what we read from HubSpot.
const maxResponse = 32 << 20

// do sends req through the governor with token refresh, retries and
// classification. It returns the response for any 2xx and an *Error
// otherwise.
func (c *Client) do(ctx context.Context, req request) (*response, error) {
	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return nil, fmt.Errorf("hubspot: encode %s: %w", req.op, err)
		}
	}
	pol := c.svc.opts.Retry
	attempts, rateWaits, refreshed := 0, 0, false
	for {
		sentAt, err := c.limiter.acquire(ctx, req.op, pol.MaxBlock)
		if err != nil {
			return nil, err
		}
		tok, err := c.tokens.token(ctx)
		if err != nil {
			c.limiter.release(nil, sentAt)
			return nil, err
		}
		started := c.svc.clock.Now()
		resp, err := c.exchange(ctx, req, payload, tok, sentAt)
		status := 0 // no answer
		if err == nil {
			status = resp.status
		}
		countRequest(ctx, status)
		if on := c.svc.opts.OnRequest; on != nil {
			on(c.hubID, req.op, status, c.svc.clock.Since(started))
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, networkError(req.op, ctx.Err())
			}
			attempts++
			e := networkError(req.op, err)
			if (!req.idempotent && !isNotSent(err)) || attempts >= pol.MaxAttempts {
				return nil, e
			}
			if err := sleep(ctx, c.svc.clock, c.backoff(attempts)); err != nil {
				return nil, networkError(req.op, err)
			}
			continue
		}
		if resp.status/100 == 2 {
			return resp, nil
		}
		now := c.svc.clock.Now()
		e := classifyResponse(req.op, resp.status, resp.header, resp.body, now)
		switch {
		case resp.status == http.StatusUnauthorized:
			if e.Category == "EXPIRED_AUTHENTICATION" && !refreshed {
				refreshed = true
				if err := c.tokens.refreshAfter401(ctx, tok); err != nil {
					return nil, err
				}
				continue
			}
			if e.Class == ClassConfig {
				c.tokens.reject(ctx, "HubSpot rejected the access token: "+e.Message)
			}
			return nil, e
		case resp.status == http.StatusTooManyRequests:
			rateWaits++
			e.RetryAt = c.limiter.onRateLimited(e.PolicyName, e.RetryAt)
			if rateWaits > pol.MaxRateLimitWaits {
				return nil, e
			}
			continue // acquire waits, or returns the pause as an error
		case resp.status == 477:
			rateWaits++
			if e.RetryAt.IsZero() {
				e.RetryAt = now.Add(time.Minute)
			}
			e.RetryAt = c.limiter.onMigration(e.RetryAt)
			if rateWaits > pol.MaxRateLimitWaits {
				return nil, e
			}
			continue
		case resp.status == http.StatusLocked:
			attempts++
			if attempts >= pol.MaxAttempts {
				return nil, e
			}
			if err := sleep(ctx, c.svc.clock, max(pol.LockedDelay, c.backoff(attempts))); err != nil {
				return nil, networkError(req.op, err)
			}
			continue
		case resp.status >= 500:
			attempts++
			if !req.idempotent || attempts >= pol.MaxAttempts {
				return nil, e
			}
			if err := sleep(ctx, c.svc.clock, c.backoff(attempts)); err != nil {
				return nil, networkError(req.op, err)
			}
			continue
		default:
			return nil, e
		}
	}
}

// backoff is exponential with jitter, capped.
func (c *Client) backoff(attempt int) time.Duration {
	pol := c.svc.opts.Retry
	d := pol.BaseDelay
	for i := 1; i < attempt && d < pol.MaxDelay; i++ {
		d *= 2
	}
	if d > pol.MaxDelay {
		d = pol.MaxDelay
	}
	return c.svc.jitter(d)
}

// send makes one HTTP request; wrote is called once the request has been
// written out.
func (c *Client) send(ctx context.Context, req request, payload []byte, tok string, wrote func()) (*response, error) {
	u := c.svc.opts.APIBaseURL + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	var once sync.Once
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(wrote) }}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), req.method, u, body)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Authorization", "Bearer "+tok)
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", "pretix-hubspot")
	if payload != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.svc.http.Do(hreq)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// decode reads a 2xx body; an unreadable one is a temporary failure.
func decode(op string, resp *response, v any) error {
	if err := json.Unmarshal(resp.body, v); err != nil {
		return &Error{Class: ClassTemporary, Op: op, Status: resp.status, Message: "HubSpot's answer could not be read", Err: err}
	}
	return nil
}
