package api

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
	"pretix-hubspot/hubspot"
	"pretix-hubspot/hubspotsync"
)

// returnCookie remembers, in the browser that clicked Request access, which
// page to come back to when HubSpot's answer cannot be matched to a state
// (mismatch, reuse, expiry): the state is then no source of truth.
const returnCookie = "ph_hubspot_return"

// callbackPath is the OAuth redirect URI's path, registered on the HubSpot app.
const callbackPath = "/oauth/hubspot/callback"

// hubspotHandler serves an event's "HubSpot Integration" page and the OAuth
// callback.
type hubspotHandler struct {
	hs        *hubspot.Service
	providers *datasync.Providers
	log       *slog.Logger
	secure    bool
}

// hubspotStatusJSON is the event's HubSpot page: the connection and the
// plugin's state for the event.
type hubspotStatusJSON struct {
	*hubspot.EventStatus
	Plugin *datasync.Plugin `json:"plugin"`
}

// eventPage is the app path of an event's HubSpot page.
func eventPage(org, event string) string {
	return "/organizers/" + url.PathEscape(org) + "/events/" + url.PathEscape(event) + "/settings/hubspot"
}

func (h *hubspotHandler) status(c echo.Context) error {
	_, ev := eventOf(c)
	ctx := c.Request().Context()
	st, err := h.hs.EventStatus(ctx, ev.ID)
	if err != nil {
		return err
	}
	p, err := h.providers.Plugin(ctx, ev.ID, hubspotsync.ProviderName)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, envelope{Data: hubspotStatusJSON{EventStatus: st, Plugin: p}})
}

type authorizeDTO struct {
	AuthorizeURL string `json:"authorize_url"`
}

// connect starts Request access: the browser is to go to the returned URL.
func (h *hubspotHandler) connect(c echo.Context) error {
	org, ev := eventOf(c)
	back := eventPage(org.Slug, ev.Slug)
	u, err := h.hs.BeginEventConnect(c.Request().Context(), currentSession(c).Session.ID, ev.ID, back)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: returnCookie, Value: url.QueryEscape(back), Path: callbackPath, HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(2 * hubspot.StateTTL.Seconds())})
	return c.JSON(http.StatusOK, envelope{Data: authorizeDTO{AuthorizeURL: u}})
}

type staticTokenInput struct {
	Token string `json:"token"`
	HubID string `json:"hub_id"` // optional; a string so that "12 345" gets a field error, not a JSON error
}

// connectToken stores a service key or private app token for the event.
func (h *hubspotHandler) connectToken(c echo.Context) error {
	_, ev := eventOf(c)
	var in staticTokenInput
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	var hubID int64
	if s := strings.TrimSpace(in.HubID); s != "" {
		var err error
		hubID, err = strconv.ParseInt(s, 10, 64)
		if err != nil || hubID <= 0 {
			return apperr.Invalid("hubspot_hub_id_invalid", "The HubSpot account ID is the number in your HubSpot URL, e.g. 24681357.").
				WithField("hub_id", "Enter digits only.")
		}
	}
	ctx := c.Request().Context()
	if _, err := h.hs.ConnectEventStatic(ctx, ev.ID, in.Token, hubID); err != nil {
		return err
	}
	st, err := h.hs.EventStatus(ctx, ev.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: st})
}

// disconnect revokes the tokens of the event's portal; every event on that
// portal waits until it is reconnected.
func (h *hubspotHandler) disconnect(c echo.Context) error {
	_, ev := eventOf(c)
	ctx := c.Request().Context()
	if err := h.hs.DisconnectEvent(ctx, ev.ID); err != nil {
		return err
	}
	st, err := h.hs.EventStatus(ctx, ev.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: st})
}

// callback is where HubSpot sends the browser back. It is outside /api (no
// CSRF: a cross-site GET by design) but reads the session, which the state
// is bound to. It always answers with a redirect to a page that explains
// the outcome.
func (h *hubspotHandler) callback(c echo.Context) error {
	sid := ""
	if cur := currentSession(c); cur != nil {
		sid = cur.Session.ID
	}
	res, err := h.hs.CompleteEventConnect(c.Request().Context(), sid, c.QueryParams())
	to := ""
	if res != nil {
		to = res.ReturnTo
	}
	if !localPath(to) {
		to = ""
		if ck, cerr := c.Cookie(returnCookie); cerr == nil {
			if v, uerr := url.QueryUnescape(ck.Value); uerr == nil && localPath(v) {
				to = v
			}
		}
	}
	if to == "" {
		to = "/settings"
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if err != nil {
		code := "internal"
		if ae, ok := apperr.As(err); ok && ae.Kind != apperr.KindInternal {
			code = ae.Code
			h.log.Info("hubspot: connect failed", "code", code)
		} else {
			h.log.Error("hubspot: connect failed", "err", err)
		}
		return c.Redirect(http.StatusSeeOther, to+"?error="+url.QueryEscape(code))
	}
	return c.Redirect(http.StatusSeeOther, to+"?connected=1")
}

// localPath accepts only paths inside this app, so the callback cannot be
// turned into an open redirect. Browsers drop tabs and newlines from URLs
// and read "\\" as "/", so any control character or backslash could turn
// "/x" into "//host": refuse them all, and let net/url confirm there is
// neither a scheme nor a host.
func localPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || len(p) > 2048 {
		return false
	}
	for _, r := range p {
		if r == '\\' || r == '?' || r == '#' || unicode.IsControl(r) {
			return false
		}
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == ""
}
