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

	e.GET("/healthz", (&healthCheck{probe: d.ProbeWrite, clock: d.Clock, log: d.Logger}).serve)

	apiG := e.Group("/api", middleware.BodyLimit("1M"), loadSession(d.Auth), csrfCheck)
	apiG.GET("/session", authH.state)
	apiG.POST("/setup", authH.setup)
	apiG.POST("/login", authH.login)
	apiG.POST("/logout", authH.logout)

	// Everything below needs a signed-in user.
	priv := apiG.Group("", requireSession)
	priv.GET("/me", authH.me)

	// Organizer- and event-scoped routes: :org and :event are resolved once
	// per request by their group's middleware.
	orgG := priv.Group("/organizers/:org", resolveOrganizer(d.Pretix))
	evG := orgG.Group("/events/:event", resolveEvent(d.Pretix))

	// pretix: organizer connections, events, orders, and the public webhook receiver.
	orgH := &organizersHandler{svc: d.Pretix, baseURL: strings.TrimRight(d.Config.BaseURL.String(), "/")}
	priv.GET("/organizers", orgH.list)
	priv.POST("/organizers", orgH.create)
	priv.POST("/organizers/test", orgH.test)
	orgG.GET("", orgH.get)
	orgG.PUT("", orgH.update)
	orgG.DELETE("", orgH.remove)
	orgG.POST("/test", orgH.testExisting)
	orgG.POST("/pull", orgH.pull)
	evH := &eventsHandler{svc: d.Pretix, providers: d.Providers}
	orgG.GET("/events", evH.list)
	evG.GET("", evH.get)
	evG.GET("/stats", evH.stats)
	ordH := &ordersHandler{svc: d.Pretix, status: d.SyncStatus}
	evG.GET("/orders", ordH.list)
	evG.GET("/orders/:code", ordH.get)
	whH := &webhooksHandler{svc: d.Pretix}
	e.POST(pretix.WebhookPathPrefix+":secret", whH.pretix)

	// Sync providers (the Plugins page), the "HubSpot Integration" page, the app settings.
	secure := d.Config.BaseURL.Scheme == "https"
	plugH := &pluginsHandler{providers: d.Providers}
	evG.GET("/plugins", plugH.list)
	evG.PUT("/plugins/:plugin", plugH.set)
	hsH := &hubspotHandler{hs: d.HubSpot, providers: d.Providers, log: d.Logger, secure: secure}
	evG.GET("/hubspot", hsH.status)
	evG.POST("/hubspot/connect", hsH.connect)
	evG.POST("/hubspot/token", hsH.connectToken)
	evG.DELETE("/hubspot/connection", hsH.disconnect)
	mkH := &marketingHandler{svc: d.Marketing}
	evG.GET("/hubspot/marketing-event", mkH.get)
	evG.PUT("/hubspot/marketing-event", mkH.put)
	appH := &appSettingsHandler{hs: d.HubSpot}
	priv.GET("/settings/hubspot-app", appH.getHubSpot)
	priv.PUT("/settings/hubspot-app", appH.putHubSpot)
	alertH := &alertsHandler{svc: d.Alerts}
	priv.GET("/settings/alerts", alertH.get)
	priv.PUT("/settings/alerts", alertH.put)
	priv.POST("/settings/alerts/test", alertH.test)
	// HubSpot's redirect back after Request access: public, but the state is bound to the session.
	e.GET(callbackPath, hsH.callback, loadSession(d.Auth))

	// Mappings: the field catalogue, the portal's properties and the mapping editor.
	catH := &catalogueHandler{svc: d.Mappings}
	evG.GET("/catalogue", catH.get)
	mapH := &mappingsHandler{svc: d.Mappings, providers: d.Providers}
	evG.GET("/hubspot/properties/:type", mapH.properties)
	evG.POST("/hubspot/properties/:type/unique", mapH.createUniqueProperty)
	mg := evG.Group("/mappings")
	mg.GET("", mapH.list)
	mg.POST("", mapH.create)
	mg.PUT("/order", mapH.reorder)
	mg.GET("/suggestion", mapH.suggestion)
	mg.POST("/suggestion", mapH.acceptSuggestion)
	mg.GET("/deal-suggestion", mapH.dealSuggestion)
	mg.POST("/deal-suggestion", mapH.acceptDealSuggestion)
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

	// Sync screens: the order box, the dashboard warning, the problems pages
	// of an event and an organizer, bulk "Sync orders…".
	syncH := &syncHandler{pretix: d.Pretix, status: d.SyncStatus, enq: d.SyncNow, plans: d.WritePlans}
	evG.GET("/orders/:code/write-plan", syncH.writePlan)
	evG.GET("/orders/:code/sync", syncH.orderStatus)
	evG.POST("/orders/:code/sync", syncH.syncNow)
	evG.POST("/orders/:code/sync/retry", syncH.retryOrder)
	evG.POST("/orders/:code/sync/cancel", syncH.cancelOrder)
	evG.GET("/sync-warning", syncH.warning)
	evG.GET("/sync-summary", syncH.summary)
	probH := &syncProblemsHandler{status: d.SyncStatus}
	evG.GET("/sync-problems", probH.eventList)
	evG.POST("/sync-problems/retry", probH.eventRetry)
	evG.POST("/sync-problems/cancel", probH.eventCancel)
	actH := &activityHandler{history: d.History, pretix: d.Pretix}
	orgG.GET("/sync-activity", actH.get)
	orgG.GET("/sync-problems", probH.organizerList)
	orgG.POST("/sync-problems/retry", probH.organizerRetry)
	orgG.POST("/sync-problems/cancel", probH.organizerCancel)
	bulkH := &syncBulkHandler{bulk: d.SyncBulk}
	evG.POST("/sync-bulk", bulkH.start)
	evG.POST("/sync-bulk/estimate", bulkH.estimate)
	evG.GET("/sync-bulk/current", bulkH.current)
	evG.GET("/sync-bulk/:id", bulkH.progress)
	evG.POST("/sync-bulk/:id/cancel", bulkH.cancel)

	apiG.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
	e.RouteNotFound("/*", spaHandler(d.UI))
}
