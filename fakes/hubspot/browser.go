package hubspotfake

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

var (
	formActionRE = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	requestRE    = regexp.MustCompile(`name="request" value="([^"]+)"`)
)

// Approve walks the consent pages like a user who picks the account hubID and
// clicks "Connect app", and returns the redirect back to the app (with code
// and state). It only speaks HTTP to the pages, so it works against any
// running emulator.
func Approve(ctx context.Context, client *http.Client, authorizeURL string, hubID int64) (*url.URL, error) {
	return walkConsent(ctx, client, authorizeURL, hubID, "connect")
}

// Deny is Approve with "Cancel" instead of "Connect app".
func Deny(ctx context.Context, client *http.Client, authorizeURL string, hubID int64) (*url.URL, error) {
	return walkConsent(ctx, client, authorizeURL, hubID, "deny")
}

func walkConsent(ctx context.Context, client *http.Client, authorizeURL string, hubID int64, decision string) (*url.URL, error) {
	if client == nil {
		client = http.DefaultClient
	}
	noFollow := *client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base, err := url.Parse(authorizeURL)
	if err != nil {
		return nil, err
	}
	page, err := fetchPage(ctx, &noFollow, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, err
	}
	// Sign in, then choose the account, as a person clicks through.
	for step := 0; step < 2 && !strings.Contains(page, `action="/oauth/authorize/connect"`); step++ {
		action, req, err := parseForm(page)
		if err != nil {
			return nil, err
		}
		form := url.Values{"request": {req}, "portal": {strconv.FormatInt(hubID, 10)}, "choice": {"sign_in"}}
		page, err = fetchPage(ctx, &noFollow, http.MethodPost, base.ResolveReference(&url.URL{Path: action}).String(), form)
		if err != nil {
			return nil, err
		}
	}
	if !strings.Contains(page, "Connect app") {
		return nil, fmt.Errorf("consent page has no Connect app button: %.300s", page)
	}
	action, req, err := parseForm(page)
	if err != nil {
		return nil, err
	}
	target := base.ResolveReference(&url.URL{Path: action}).String()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(url.Values{"request": {req}, "decision": {decision}}.Encode()))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := noFollow.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("connect: status %d: %.300s", resp.StatusCode, b)
	}
	return url.Parse(resp.Header.Get("Location"))
}

func fetchPage(ctx context.Context, c *http.Client, method, target string, form url.Values) (string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %s: status %d: %.300s", method, target, resp.StatusCode, b)
	}
	return string(b), nil
}

func parseForm(page string) (action, request string, err error) {
	a := formActionRE.FindStringSubmatch(page)
	r := requestRE.FindStringSubmatch(page)
	if a == nil || r == nil {
		return "", "", fmt.Errorf("consent page has no form: %.300s", page)
	}
	return a[1], r[1], nil
}
