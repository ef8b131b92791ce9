package api

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// registerRoutes is the one route table of the application.
func registerRoutes(e *echo.Echo, d Deps) {
	authH := &authHandler{svc: d.Auth, secure: d.Config.BaseURL.Scheme == "https", token: newToken}

	e.GET("/healthz", healthz)

	apiG := e.Group("/api", middleware.BodyLimit("1M"), loadSession(d.Auth), csrfCheck)
	apiG.GET("/session", authH.state)
	apiG.POST("/setup", authH.setup)
	apiG.POST("/login", authH.login)
	apiG.POST("/logout", authH.logout)

	// Everything below needs a signed-in user.
	priv := apiG.Group("", requireSession)
	priv.GET("/me", authH.me)

	apiG.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
	e.RouteNotFound("/*", spaHandler(d.UI))
}
