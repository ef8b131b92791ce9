package api

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// placeholderPage is served when the UI has not been built into the binary.
const placeholderPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pretix-hubspot</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>pretix-hubspot</h1>
<p>The web interface was not built into this binary. Run <code>make run</code>, which builds the UI and the binary together.</p></body></html>`

// spaHandler serves the built UI: hashed assets cache forever, everything
// else is index.html (the SPA's router takes over), never cached so a new
// release is picked up at once.
func spaHandler(ui fs.FS) echo.HandlerFunc {
	var index []byte
	if ui != nil {
		index, _ = fs.ReadFile(ui, "index.html")
	}
	var files http.Handler
	if ui != nil {
		files = http.FileServer(http.FS(ui))
	}
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			return echo.ErrNotFound
		}
		p := strings.TrimPrefix(path.Clean("/"+req.URL.Path), "/")
		if ui != nil && p != "" && p != "index.html" {
			if st, err := fs.Stat(ui, p); err == nil && !st.IsDir() {
				if strings.HasPrefix(p, "assets/") {
					c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					c.Response().Header().Set("Cache-Control", "no-cache")
				}
				files.ServeHTTP(c.Response(), req)
				return nil
			}
			if strings.HasPrefix(p, "assets/") {
				return echo.ErrNotFound // a missing asset must not turn into HTML
			}
		}
		c.Response().Header().Set("Cache-Control", "no-cache")
		if len(index) == 0 {
			return c.HTML(http.StatusOK, placeholderPage)
		}
		return c.HTMLBlob(http.StatusOK, index)
	}
}
