package api

import (
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"pretix-hubspot/pretix"
)

// registerRoutes is the one route table of the application.
func registerRoutes(e *echo.Echo, d Deps) {
	authH := &authHandler{svc: d.Auth, secure: d.Config.BaseURL.Scheme == "https", token: newToken}

	e.GET("/healthz", (&healthCheck{db: d.DB, clock: d.Clock, log: d.Logger}).serve)

	apiG := e.Group("/api", middleware.BodyLimit("1M"), loadSession(d.Auth), csrfCheck)
	apiG.GET("/session", authH.state)
	apiG.POST("/setup", authH.setup)
	apiG.POST("/login", authH.login)
	apiG.POST("/logout", authH.logout)

	// Everything below needs a signed-in user.
	priv := apiG.Group("", requireSession)
	priv.GET("/me", authH.me)

	// pretix: organizer connections, events, orders, and the public webhook receiver.
	orgH := &organizersHandler{db: d.DB, svc: d.Pretix, baseURL: strings.TrimRight(d.Config.BaseURL.String(), "/")}
	priv.GET("/organizers", orgH.list)
	priv.POST("/organizers", orgH.create)
	priv.POST("/organizers/test", orgH.test)
	priv.GET("/organizers/:org", orgH.get)
	priv.PUT("/organizers/:org", orgH.update)
	priv.DELETE("/organizers/:org", orgH.remove)
	priv.POST("/organizers/:org/test", orgH.testExisting)
	priv.POST("/organizers/:org/pull", orgH.pull)
	evH := &eventsHandler{db: d.DB, svc: d.Pretix}
	priv.GET("/organizers/:org/events", evH.list)
	priv.GET("/organizers/:org/events/:event", evH.get)
	priv.GET("/organizers/:org/events/:event/stats", evH.stats)
	ordH := &ordersHandler{db: d.DB, svc: d.Pretix}
	priv.GET("/organizers/:org/events/:event/orders", ordH.list)
	priv.GET("/organizers/:org/events/:event/orders/:code", ordH.get)
	whH := &webhooksHandler{svc: d.Pretix}
	e.POST(pretix.WebhookPathPrefix+":secret", whH.pretix)

	// HubSpot: the event's plugins and "HubSpot Integration" page, the app settings.
	secure := d.Config.BaseURL.Scheme == "https"
	plugH := &pluginsHandler{db: d.DB, hs: d.HubSpot}
	priv.GET("/organizers/:org/events/:event/plugins", plugH.list)
	priv.PUT("/organizers/:org/events/:event/plugins/:plugin", plugH.set)
	hsH := &hubspotHandler{db: d.DB, hs: d.HubSpot, log: d.Logger, secure: secure}
	priv.GET("/organizers/:org/events/:event/hubspot", hsH.status)
	priv.POST("/organizers/:org/events/:event/hubspot/connect", hsH.connect)
	priv.POST("/organizers/:org/events/:event/hubspot/token", hsH.connectToken)
	priv.DELETE("/organizers/:org/events/:event/hubspot/connection", hsH.disconnect)
	appH := &appSettingsHandler{hs: d.HubSpot}
	priv.GET("/settings/hubspot-app", appH.getHubSpot)
	priv.PUT("/settings/hubspot-app", appH.putHubSpot)
	// HubSpot's redirect back after Request access: public, but the state is bound to the session.
	e.GET(callbackPath, hsH.callback, loadSession(d.Auth))

	// Mappings: the field catalogue, the portal's properties and the mapping editor (issue 5).
	catH := &catalogueHandler{db: d.DB, svc: d.Mappings}
	priv.GET("/organizers/:org/events/:event/catalogue", catH.get)
	mapH := &mappingsHandler{db: d.DB, svc: d.Mappings}
	priv.GET("/organizers/:org/events/:event/hubspot/properties/:type", mapH.properties)
	priv.POST("/organizers/:org/events/:event/hubspot/properties/:type/unique", mapH.createUniqueProperty)
	mg := priv.Group("/organizers/:org/events/:event/mappings")
	mg.GET("", mapH.list)
	mg.POST("", mapH.create)
	mg.PUT("/order", mapH.reorder)
	mg.GET("/suggestion", mapH.suggestion)
	mg.POST("/suggestion", mapH.acceptSuggestion)
	mg.GET("/export", mapH.export)
	mg.POST("/import", mapH.importDoc)
	mg.POST("/copy", mapH.copyFrom)
	mg.GET("/copy-sources", mapH.copySources)
	mg.POST("/value-map", mapH.valueMap)
	mg.GET("/preview-orders", mapH.previewOrders)
	mg.GET("/:id", mapH.get)
	mg.PUT("/:id", mapH.update)
	mg.DELETE("/:id", mapH.remove)
	mg.POST("/:id/preview", mapH.preview)
	mg.POST("/:id/check", mapH.check)

	// Sync screens (issue 6): the order box, the dashboard warning, the
	// problems pages of an event and an organizer, bulk "Sync orders…".
	syncH := &syncHandler{db: d.DB, pretix: d.Pretix, status: d.SyncStatus, enq: d.SyncNow}
	priv.GET("/organizers/:org/events/:event/orders/:code/sync", syncH.orderStatus)
	priv.POST("/organizers/:org/events/:event/orders/:code/sync", syncH.syncNow)
	priv.POST("/organizers/:org/events/:event/orders/:code/sync/retry", syncH.retryOrder)
	priv.POST("/organizers/:org/events/:event/orders/:code/sync/cancel", syncH.cancelOrder)
	priv.GET("/organizers/:org/events/:event/sync-warning", syncH.warning)
	probH := &syncProblemsHandler{db: d.DB, status: d.SyncStatus}
	priv.GET("/organizers/:org/events/:event/sync-problems", probH.eventList)
	priv.POST("/organizers/:org/events/:event/sync-problems/retry", probH.eventRetry)
	priv.POST("/organizers/:org/events/:event/sync-problems/cancel", probH.eventCancel)
	priv.GET("/organizers/:org/sync-problems", probH.organizerList)
	priv.POST("/organizers/:org/sync-problems/retry", probH.organizerRetry)
	priv.POST("/organizers/:org/sync-problems/cancel", probH.organizerCancel)
	bulkH := &syncBulkHandler{db: d.DB, bulk: d.SyncBulk}
	priv.POST("/organizers/:org/events/:event/sync-bulk", bulkH.start)
	priv.GET("/organizers/:org/events/:event/sync-bulk/current", bulkH.current)
	priv.GET("/organizers/:org/events/:event/sync-bulk/:id", bulkH.progress)
	priv.POST("/organizers/:org/events/:event/sync-bulk/:id/cancel", bulkH.cancel)

	apiG.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
	e.RouteNotFound("/*", spaHandler(d.UI))
}
