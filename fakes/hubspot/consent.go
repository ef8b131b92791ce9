package hubspotfake

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// pageLayout is the frame of the emulator's pages, styled after HubSpot's
// own (a dark top bar, an orange primary button, a white card) so a demo
// viewer recognises each step of the guide.
const pageLayout = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} | HubSpot</title>
<style>
*{box-sizing:border-box}
body{margin:0;font-family:"Lexend Deca",Helvetica,Arial,sans-serif;color:#33475b;background:#f5f8fa;font-size:15px;line-height:1.5}
header{background:#2d3e50;color:#fff;padding:.75rem 1.25rem;display:flex;align-items:center;gap:.6rem}
header .logo{font-weight:700;font-size:1.15rem;letter-spacing:.01em}
header .logo span{color:#ff7a59}
header .demo{margin-left:auto;font-size:.8rem;opacity:.8}
main{max-width:34rem;margin:2.5rem auto;padding:0 1rem}
.card{background:#fff;border:1px solid #cbd6e2;border-radius:4px;padding:1.5rem 1.75rem;box-shadow:0 1px 3px rgba(45,62,80,.08)}
h1{font-size:1.45rem;font-weight:600;margin:0 0 .35rem;color:#33475b}
h2{font-size:1.05rem;margin:0 0 .5rem}
.sub{color:#516f90;margin:0 0 1.25rem}
.notice{border-left:4px solid #f5c26b;background:#fef8f0;padding:.9rem 1rem;margin:1rem 0}
.error{border-left:4px solid #f2545b;background:#fdedee;padding:.9rem 1rem}
.btn{display:inline-block;background:#ff7a59;color:#fff;border:1px solid #ff7a59;border-radius:3px;padding:.6rem 1.25rem;font-size:.95rem;font-weight:600;cursor:pointer;text-decoration:none;margin:.25rem .5rem .25rem 0}
.btn.secondary{background:#fff;color:#ff7a59}
.choice{display:block;width:100%;text-align:center;margin:.5rem 0}
fieldset{border:0;padding:0;margin:0 0 1rem}
legend{font-weight:600;margin-bottom:.5rem}
label.account{display:flex;gap:.6rem;align-items:center;border:1px solid #cbd6e2;border-radius:3px;padding:.6rem .8rem;margin:.4rem 0;cursor:pointer}
label.account:hover{border-color:#00a4bd}
.muted{color:#7c98b6;font-size:.85rem}
ul.scopes{padding-left:1.2rem}
code{font-size:.85rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;border-bottom:1px solid #eaf0f6;padding:.4rem .5rem;vertical-align:top;word-break:break-word}
th{width:40%;color:#516f90;font-weight:600}
</style></head><body>
<header><span class="logo">Hub<span>S</span>pot</span><span class="demo">HubSpot emulator (demo)</span></header>
<main>{{block "content" .}}{{end}}</main>
</body></html>`

// withLayout is the page frame around a "content" template.
func withLayout(content string) *template.Template {
	return template.Must(template.Must(template.New("page").Parse(pageLayout)).New("content").Parse(content)).Lookup("page")
}

var pageTmpl = withLayout(`
<div class="card">
{{if .Error}}<div class="error" role="alert"><h2>Something went wrong</h2><p>{{.Error}}</p></div>
{{else if eq .Step "start"}}
<h1>Connecting {{.AppName}} to HubSpot</h1>
<p class="sub">{{.AppName}} wants to connect to a HubSpot account. Sign in to choose the account, or create a new one.</p>
<form method="post" action="/oauth/authorize/start">
<input type="hidden" name="request" value="{{.Request}}">
<button class="btn choice" type="submit" name="choice" value="sign_in">Sign in to your HubSpot account</button>
<button class="btn secondary choice" type="submit" name="choice" value="create">Create a new HubSpot account</button>
</form>
{{else if eq .Step "accounts"}}
<h1>Connecting {{.AppName}} to HubSpot</h1>
<p class="sub">Choose the HubSpot account {{.AppName}} may use.</p>
<form method="post" action="/oauth/authorize/account">
<input type="hidden" name="request" value="{{.Request}}">
<fieldset><legend>Choose an account</legend>
{{range $i, $p := .Portals}}<label class="account"><input type="radio" name="portal" value="{{$p.ID}}"{{if eq $i 0}} checked{{end}}> <span>{{$p.Name}} <span class="muted">({{$p.ID}})</span></span></label>
{{end}}</fieldset>
<button class="btn" type="submit">Choose Account</button>
</form>
{{else if eq .Step "notice"}}
<h1>Connecting {{.AppName}} to HubSpot</h1>
<div class="notice" role="note"><h2>You're connecting to an unverified app</h2>
<p>{{.AppName}} hasn't been verified by HubSpot. Only connect apps from developers you trust.</p></div>
<p>{{.AppName}} is requesting access to <strong>{{.Portal.Name}} ({{.Portal.ID}})</strong>. It will be allowed to:</p>
<ul class="scopes">{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
<form method="post" action="/oauth/authorize/connect">
<input type="hidden" name="request" value="{{.Request}}">
<button class="btn" type="submit" name="decision" value="connect">Connect app</button>
<button class="btn secondary" type="submit" name="decision" value="deny">Cancel</button>
</form>
{{end}}
</div>`)

type pageData struct {
	Title, AppName, Error, Request string
	Step                           string // start, accounts, notice
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
// ask to sign in or create an account (or, with /oauth/{portal}/authorize,
// go straight to the chosen one).
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
	s.mu.Unlock()
	if pin := r.PathValue("portal"); pin != "" {
		id, _ := strconv.ParseInt(pin, 10, 64)
		s.showNotice(w, req.id, id)
		return
	}
	s.renderPage(w, http.StatusOK, pageData{Title: "Connect app", Step: "start", Request: req.id})
}

// startChoice is the first page's answer: sign in (choose one of the
// accounts) or create a new account, which goes straight to the notice.
func (s *Server) startChoice(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	reqID := r.PostForm.Get("request")
	s.mu.Lock()
	if s.pending[reqID] == nil {
		s.mu.Unlock()
		s.errorPage(w, "This authorization request is unknown or has expired. Start again from the app.")
		return
	}
	if r.PostForm.Get("choice") == "create" {
		var id int64 = 1
		for _, have := range s.order {
			id = max(id, have+1)
		}
		s.addPortalLocked(Portal{ID: id, Name: "New HubSpot account"})
		s.mu.Unlock()
		s.showNotice(w, reqID, id)
		return
	}
	var portals []Portal
	for _, id := range s.order {
		portals = append(portals, s.portals[id].Portal)
	}
	s.mu.Unlock()
	s.renderPage(w, http.StatusOK, pageData{Title: "Choose an account", Step: "accounts", Request: reqID, Portals: portals})
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
	s.renderPage(w, http.StatusOK, pageData{Title: "Connect app", Step: "notice", Request: reqID, Portal: &p, Scopes: scopes})
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
