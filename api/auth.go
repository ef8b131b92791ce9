package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/auth"
	"pretix-hubspot/models"
)

// authHandler serves first-run setup, login, logout and the session state.
type authHandler struct {
	svc    *auth.Service
	secure bool // cookies get the Secure flag behind HTTPS
	token  func() string
}

type userDTO struct {
	ID       uint   `json:"id"`
	Username string `json:"username"`
}

func toUserDTO(u models.User) userDTO { return userDTO{ID: u.ID, Username: u.Username} }

type sessionDTO struct {
	NeedsSetup bool     `json:"needs_setup"`
	User       *userDTO `json:"user"`
	CSRFToken  string   `json:"csrf_token"`
}

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// state tells the UI whether it must show setup, login, or the app, and hands
// out the CSRF token the next unsafe request must carry.
func (h *authHandler) state(c echo.Context) error {
	needs, err := h.svc.NeedsSetup(c.Request().Context())
	if err != nil {
		return err
	}
	out := sessionDTO{NeedsSetup: needs}
	if cur := currentSession(c); cur != nil {
		u := toUserDTO(cur.User)
		out.User, out.CSRFToken = &u, cur.Session.CSRFToken
	} else {
		tok := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
			tok = ck.Value
		} else {
			tok = h.token()
			c.SetCookie(&http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode})
		}
		out.CSRFToken = tok
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, envelope{Data: out})
}

func (h *authHandler) setup(c echo.Context) error {
	var in credentials
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	login, err := h.svc.Setup(c.Request().Context(), in.Username, in.Password)
	if err != nil {
		return err
	}
	return h.startSession(c, login)
}

func (h *authHandler) login(c echo.Context) error {
	var in credentials
	if err := c.Bind(&in); err != nil {
		return badJSON()
	}
	login, err := h.svc.Login(c.Request().Context(), in.Username, in.Password, c.RealIP())
	if err != nil {
		return err
	}
	return h.startSession(c, login)
}

func (h *authHandler) startSession(c echo.Context, login *auth.Login) error {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: login.Token, Path: "/", HttpOnly: true, Secure: h.secure,
		SameSite: http.SameSiteLaxMode, Expires: login.ExpiresAt})
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secure})
	u := toUserDTO(login.User)
	return c.JSON(http.StatusOK, envelope{Data: sessionDTO{User: &u, CSRFToken: login.CSRFToken}})
}

func (h *authHandler) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := h.svc.Logout(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return c.NoContent(http.StatusNoContent)
}

func (h *authHandler) me(c echo.Context) error {
	cur := currentSession(c)
	return c.JSON(http.StatusOK, envelope{Data: toUserDTO(cur.User)})
}

// envelope wraps every successful JSON response.
type envelope struct {
	Data any `json:"data"`
}

func badJSON() error {
	return apperr.Invalid("bad_json", "The request body is not valid JSON.")
}
