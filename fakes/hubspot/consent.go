package hubspotfake

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} | HubSpot</title>
<style>body{font-family:sans-serif;max-width:40rem;margin:3rem auto;color:#33475b}
.notice{border:1px solid #f5c26b;background:#fef8f0;padding:1rem;margin:1rem 0}
.error{border:1px solid #f2545b;background:#fdedee;padding:1rem}
button{background:#ff7a59;color:#fff;border:0;padding:.6rem 1.2rem;font-size:1rem;margin-right:.5rem}
button.secondary{background:#eaf0f6;color:#33475b}</style></head><body>
<h1>Connecting your {{.AppName}} account to HubSpot</h1>
{{if .Error}}<div class="error" role="alert"><h2>Something went wrong</h2><p>{{.Error}}</p></div>{{end}}
{{if .Portals}}
<form method="post" action="/oauth/authorize/account">
<input type="hidden" name="request" value="{{.Request}}">
<fieldset><legend>Choose an account</legend>
{{range $i, $p := .Portals}}<p><label><input type="radio" name="portal" value="{{$p.ID}}"{{if eq $i 0}} checked{{end}}> {{$p.Name}} ({{$p.ID}})</label></p>
{{end}}</fieldset>
<button type="submit">Choose Account</button>
</form>
{{end}}
{{if .Portal}}
<div class="notice" role="note"><h2>You're connecting to an unverified app</h2>
<p>{{.AppName}} hasn't been verified by HubSpot. Only connect apps from developers you trust.</p></div>
<p>{{.AppName}} is requesting access to <strong>{{.Portal.Name}} ({{.Portal.ID}})</strong>. It will be allowed to:</p>
<ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
<form method="post" action="/oauth/authorize/connect">
<input type="hidden" name="request" value="{{.Request}}">
<button type="submit" name="decision" value="connect">Connect app</button>
<button type="submit" name="decision" value="deny" class="secondary">Cancel</button>
</form>
{{end}}
</body></html>
`))

type pageData struct {
	Title, AppName, Error, Request string
	Portals                        []Portal
	Portal                         *Portal
	Scopes                         []string
}

func (s *Server) renderPage(w http.ResponseWriter, status int, d pageData) {
	d.AppName = s.opts.AppName
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, d)
}

func (s *Server) errorPage(w http.ResponseWriter, msg string) {
	s.renderPage(w, http.StatusBadRequest, pageData{Title: "Error", Error: msg})
}

// authorizePage is step one of the consent flow: validate the install URL and
// offer the accounts (or, with /oauth/{portal}/authorize, go straight to the
// chosen one).
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.opts.ClientID {
		s.errorPage(w, "Authorization failed because the client_id in the install URL is not a known app.")
		return
	}
	redirect := q.Get("redirect_uri")
	if !s.redirectAllowed(redirect) {
		s.errorPage(w, "Authorization failed because the redirect_uri is missing or not registered for this app.")
		return
	}
	scopes := splitScopes(q.Get("scope"))
	if len(scopes) == 0 {
		s.errorPage(w, "Authorization failed because the install URL has no scope parameter.")
		return
	}
	if s.opts.RequiredScopes != nil && !sameSet(scopes, s.opts.RequiredScopes) {
		s.errorPage(w, "Authorization failed because the scopes in the install URL don't match the app's required scopes.")
		return
	}
	s.mu.Lock()
	req := &authRequest{id: s.randHex(32), redirectURI: redirect, state: q.Get("state"), scopes: scopes, optional: splitScopes(q.Get("optional_scope"))}
	s.pending[req.id] = req
	var portals []Portal
	for _, id := range s.order {
		portals = append(portals, s.portals[id].Portal)
	}
	s.mu.Unlock()
	if pin := r.PathValue("portal"); pin != "" {
		id, _ := strconv.ParseInt(pin, 10, 64)
		s.showNotice(w, req.id, id)
		return
	}
	s.renderPage(w, http.StatusOK, pageData{Title: "Choose an account", Request: req.id, Portals: portals})
}

func (s *Server) redirectAllowed(u string) bool {
	if len(s.opts.RedirectURIs) > 0 {
		return contains(s.opts.RedirectURIs, u)
	}
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

func sameSet(a, b []string) bool {
	x, y := append([]string{}, a...), append([]string{}, b...)
	sort.Strings(x)
	sort.Strings(y)
	return strings.Join(x, " ") == strings.Join(y, " ")
}

func (s *Server) chooseAccount(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id, _ := strconv.ParseInt(r.PostForm.Get("portal"), 10, 64)
	s.showNotice(w, r.PostForm.Get("request"), id)
}

// showNotice is step two: the unverified-app notice with "Connect app".
func (s *Server) showNotice(w http.ResponseWriter, reqID string, hub int64) {
	s.mu.Lock()
	req := s.pending[reqID]
	pt := s.portals[hub]
	if req == nil || pt == nil {
		s.mu.Unlock()
		s.errorPage(w, "This authorization request is unknown or has expired, or the account does not exist. Start again from the app.")
		return
	}
	req.portal = hub
	p := pt.Portal
	scopes := s.grantedLocked(req)
	s.mu.Unlock()
	s.renderPage(w, http.StatusOK, pageData{Title: "Connect app", Request: reqID, Portal: &p, Scopes: scopes})
}

// grantedLocked is the required scopes plus the optional ones the portal can
// grant; HubSpot drops the others silently.
func (s *Server) grantedLocked(req *authRequest) []string {
	out := append([]string{}, req.scopes...)
	unavailable := setOf(s.portals[req.portal].UnavailableScopes)
	for _, sc := range req.optional {
		if !unavailable[sc] && !contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// connectDecision is step three: redirect back with a code or with
// error=access_denied.
func (s *Server) connectDecision(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	req := s.pending[r.PostForm.Get("request")]
	if req == nil || req.portal == 0 {
		s.mu.Unlock()
		s.errorPage(w, "This authorization request is unknown or has expired. Start again from the app.")
		return
	}
	delete(s.pending, req.id)
	target, _ := url.Parse(req.redirectURI)
	q := target.Query()
	if r.PostForm.Get("decision") == "connect" {
		code := s.randHex(8) + "-" + s.randHex(4) + "-" + s.randHex(4) + "-" + s.randHex(4) + "-" + s.randHex(12)
		s.codes[code] = &authCode{hub: req.portal, redirectURI: req.redirectURI, scopes: s.grantedLocked(req), expires: s.clock.Now().Add(s.opts.CodeTTL)}
		q.Set("code", code)
	} else {
		q.Set("error", "access_denied")
		q.Set("error_description", "The user denied the request to connect the app.")
	}
	if req.state != "" {
		q.Set("state", req.state)
	}
	s.mu.Unlock()
	target.RawQuery = q.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}
