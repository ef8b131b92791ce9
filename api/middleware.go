package api

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/auth"
)

const (
	sessionCookie = "ph_session"
	csrfCookie    = "ph_csrf"
	csrfHeader    = "X-CSRF-Token"
	ctxSession    = "session"
)

// hostCheck refuses requests whose Host header is not one of ours, which
// defeats DNS-rebinding attacks against a server on localhost.
func hostCheck(hosts []string) echo.MiddlewareFunc {
	allowed := hostSet(hosts)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !allowed[strings.ToLower(c.Request().Host)] {
				return apperr.New(apperr.KindForbidden, "host_not_allowed",
					"This server does not answer to the host name used. Open it by its configured address, or add the host with --allowed-hosts.")
			}
			return next(c)
		}
	}
}

// originCheck refuses unsafe requests that a browser sent from another
// site: the CSRF token already stops them, and this second check holds even
// if a token leaked. Requests without Origin (pretix's webhooks, curl) are
// let through to the checks behind.
func originCheck(hosts []string) echo.MiddlewareFunc {
	allowed := hostSet(hosts)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			origin := c.Request().Header.Get("Origin")
			if origin == "" {
				return next(c)
			}
			u, err := url.Parse(origin)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !allowed[strings.ToLower(u.Host)] {
				return apperr.New(apperr.KindForbidden, "origin_not_allowed",
					"This request came from another web site and was refused. Use this app from its own address.")
			}
			return next(c)
		}
	}
}

// hostSet is hosts in lower case, for lookups.
func hostSet(hosts []string) map[string]bool {
	allowed := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		allowed[strings.ToLower(h)] = true
	}
	return allowed
}

// securityHeaders sets conservative browser policies on every response.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		return next(c)
	}
}

// requestLogger logs one line per request without query strings or secrets
// in paths (webhook URLs carry a secret, OAuth callbacks carry a code).
func requestLogger(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			level := slog.LevelDebug
			if status >= 500 {
				level = slog.LevelWarn
			}
			logger.Log(c.Request().Context(), level, "http", "method", c.Request().Method, "path", safePath(c),
				"status", status, "ms", time.Since(start).Milliseconds())
			return nil
		}
	}
}

// safePath is the request path with secret segments redacted.
func safePath(c echo.Context) string {
	p := c.Request().URL.Path
	if strings.HasPrefix(p, "/webhooks/") {
		if i := strings.LastIndex(p, "/"); i > 0 {
			return p[:i+1] + "…"
		}
	}
	return p
}

// loadSession resolves the session cookie, if any, into the context.
func loadSession(svc *auth.Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ck, err := c.Cookie(sessionCookie); err == nil {
				cur, err := svc.Resolve(c.Request().Context(), ck.Value)
				if err != nil {
					return err
				}
				if cur != nil {
					c.Set(ctxSession, cur)
				}
			}
			return next(c)
		}
	}
}

// currentSession returns the signed-in session or nil.
func currentSession(c echo.Context) *auth.Current {
	cur, _ := c.Get(ctxSession).(*auth.Current)
	return cur
}

// requireSession refuses requests without a valid session.
func requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentSession(c) == nil {
			return apperr.New(apperr.KindUnauthorized, "not_signed_in", "Please sign in.")
		}
		return next(c)
	}
}

// csrfCheck requires unsafe methods to carry the CSRF token in a header: the
// session's token when signed in, otherwise the pre-session cookie's
// (double submit). Browsers cannot add the header cross-site without CORS,
// which we never allow.
func csrfCheck(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		sent := c.Request().Header.Get(csrfHeader)
		want := ""
		if cur := currentSession(c); cur != nil {
			want = cur.Session.CSRFToken
		} else if ck, err := c.Cookie(csrfCookie); err == nil {
			want = ck.Value
		}
		if sent == "" || want == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
			return apperr.New(apperr.KindForbidden, "csrf_failed", "The security token of this page is missing or out of date. Reload the page and try again.")
		}
		return next(c)
	}
}
