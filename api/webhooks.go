package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
	"pretix-hubspot/pretix"
)

// webhooksHandler receives pretix notifications. It is public (pretix has
// no session and sends no CSRF token); the secret path segment, and
// optionally HTTP Basic credentials, identify the organizer. It answers at
// once: the order is fetched from the pretix API in the background.
type webhooksHandler struct {
	svc *pretix.Service
}

func (h *webhooksHandler) pretix(c echo.Context) error {
	res, err := h.svc.Webhooks().Handle(c.Request().Context(), pretix.WebhookRequestFrom(c.Param("secret"), c.Request()))
	if err != nil {
		ae, ok := apperr.As(err)
		if ok && ae.Kind == apperr.KindUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Basic realm="pretix webhook"`)
		}
		if ok && ae.Kind == apperr.KindNotFound {
			// 410 makes pretix switch this webhook off instead of retrying
			// for days: the address belongs to no connection (any more).
			return c.JSON(http.StatusGone, errorBody{Error: errorDetail{Code: ae.Code, Message: ae.Message}})
		}
		return err
	}
	return c.JSON(http.StatusOK, envelope{Data: res})
}
