package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"pretix-hubspot/apperr"
)

// errorBody is the stable JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

var kindStatus = map[apperr.Kind]int{
	apperr.KindInvalid:      http.StatusBadRequest,
	apperr.KindUnauthorized: http.StatusUnauthorized,
	apperr.KindForbidden:    http.StatusForbidden,
	apperr.KindNotFound:     http.StatusNotFound,
	apperr.KindConflict:     http.StatusConflict,
	apperr.KindRateLimited:  http.StatusTooManyRequests,
	apperr.KindUnavailable:  http.StatusBadGateway,
	apperr.KindInternal:     http.StatusInternalServerError,
}

// echoCodes names Echo's own errors (routing, binding, body limit).
var echoCodes = map[int]string{
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusBadRequest:            "bad_request",
}

// errorHandler is the one place where errors become responses: an
// *apperr.Error keeps its message, Echo's errors keep their status, anything
// else is logged and answered with a generic 500.
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, body := http.StatusInternalServerError, errorDetail{Code: "internal", Message: "Something went wrong on our side. The details were logged."}
		var he *echo.HTTPError
		if ae, ok := apperr.As(err); ok {
			status = kindStatus[ae.Kind]
			if status == 0 {
				status = http.StatusInternalServerError
			}
			body = errorDetail{Code: ae.Code, Message: ae.Message, Fields: ae.Fields}
			if ae.Kind == apperr.KindInternal {
				logger.Error("request failed", "method", c.Request().Method, "path", safePath(c), "err", err)
			}
		} else if errors.As(err, &he) {
			status = he.Code
			body = errorDetail{Code: echoCodes[he.Code], Message: http.StatusText(he.Code)}
			if body.Code == "" {
				body.Code = "http_" + http.StatusText(he.Code)
			}
			if he.Code == http.StatusNotFound {
				body.Message = "There is no such API endpoint."
			}
			if he.Internal != nil && he.Code >= 500 {
				logger.Error("request failed", "method", c.Request().Method, "path", safePath(c), "err", he.Internal)
			}
		} else {
			logger.Error("request failed", "method", c.Request().Method, "path", safePath(c), "err", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, errorBody{Error: body})
	}
}
