package pretixapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"pretix-hubspot/apperr"
)

// PageSize is pretix's maximum page size.
const PageSize = 50

// where names what a request was about, to explain a 403/404 precisely.
type where struct {
	event    string
	resource string // "organizer", "order", "settings", "organizer-orders" or ""
}

// mapHTTPError turns a non-2xx answer into the error people see.
func (c *Client) mapHTTPError(err error, w where) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	var he *httpError
	if !errors.As(err, &he) {
		return err
	}
	switch {
	case he.status == http.StatusUnauthorized:
		return errTokenInvalid(he.detail).Wrap(err)
	case he.status == http.StatusForbidden && w.resource == "settings":
		return apperr.New(apperr.KindForbidden, CodeSettingsForbidden,
			"The API token may not read the settings of event \u201c"+w.event+"\u201d (its team lacks \u201cCan change event settings\u201d); "+
				"the name scheme and languages are inferred from the event's data instead.").Wrap(err)
	case he.status == http.StatusForbidden:
		return errPermission(c.org, w.event).Wrap(err)
	case he.status == http.StatusNotFound && w.resource == "organizer-orders":
		// The route does not exist before pretix 2023.8 (an unknown
		// organizer would be a 403 here).
		return ErrNoOrganizerOrderList
	case he.status == http.StatusNotFound && !he.json:
		return errNotPretix(c.base.String(), "the API address does not exist there")
	case he.status == http.StatusNotFound && w.resource == "organizer":
		return errOrganizerUnknown(c.org).Wrap(err)
	case he.status == http.StatusNotFound && w.resource == "order":
		return apperr.NotFound(CodeNotFound, "pretix has no such order (any more). Test-mode orders can be deleted in pretix.").Wrap(err)
	case he.status == http.StatusNotFound:
		return apperr.NotFound(CodeNotFound, "pretix answered \u201cnot found\u201d for "+he.path+".").Wrap(err)
	case he.status >= 400 && he.status < 500:
		msg := "pretix refused the request (HTTP " + strconv.Itoa(he.status) + ")"
		if he.detail != "" {
			msg += ": " + he.detail
		}
		return apperr.New(apperr.KindUnavailable, CodeBadRequest, msg+". Please report this; it is probably a bug in pretix-hubspot or an unusual pretix version.").Wrap(err)
	}
	return errNotPretix(c.base.String(), "it answered with HTTP "+strconv.Itoa(he.status)).Wrap(err)
}

func (c *Client) needOrg() error {
	if c.org == "" {
		return apperr.Invalid(CodeOrganizerUnknown, "Enter the organizer's short name (slug).").WithField("slug", "Required.")
	}
	return nil
}

func (c *Client) orgPath(rest string) string {
	return "organizers/" + url.PathEscape(c.org) + "/" + rest
}

func (c *Client) eventPath(event, rest string) string {
	return c.orgPath("events/" + url.PathEscape(event) + "/" + rest)
}

// getObject fetches one JSON object.
func (c *Client) getObject(ctx context.Context, path string, q url.Values, w where, out any, o callOpts) (*response, error) {
	r, err := c.get(ctx, c.endpoint(path, q), o)
	if err != nil {
		return nil, c.mapHTTPError(err, w)
	}
	if err := decode(r, out); err != nil {
		return nil, err
	}
	return r, nil
}

type envelope struct {
	Count   *int              `json:"count"`
	Next    *string           `json:"next"`
	Results []json.RawMessage `json:"results"`
}

// pageInfo is what a list callback learns about the page.
type pageInfo struct {
	number int
	count  int
	header http.Header
}

// list walks a paginated list from the first page, following "next" (always
// on our own scheme and host, so a misconfigured proxy's http:// links, or a
// hostile server's links elsewhere, never receive the token). The next page
// is fetched while each handles the current one, so network and database
// work overlap; the number of requests is the same.
func (c *Client) list(ctx context.Context, path string, q url.Values, w where, o callOpts, each func(pageInfo, []json.RawMessage) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops a prefetch nobody will read
	if q == nil {
		q = url.Values{}
	}
	q.Set("page_size", strconv.Itoa(PageSize))
	u := c.endpoint(path, q)
	type fetched struct {
		r   *response
		err error
	}
	var ahead chan fetched
	seen := map[string]bool{}
	for n := 1; ; n++ {
		var r *response
		var err error
		if ahead != nil {
			f := <-ahead
			r, err = f.r, f.err
		} else {
			r, err = c.get(ctx, u, o)
		}
		if err != nil {
			return c.mapHTTPError(err, w)
		}
		var env envelope
		if err := decode(r, &env); err != nil {
			return err
		}
		if env.Count == nil || env.Results == nil {
			return errNotPretix(c.base.String(), "its answer for "+u.Path+" is not a pretix list")
		}
		var next *url.URL
		if env.Next != nil && *env.Next != "" {
			if next, err = url.Parse(*env.Next); err != nil {
				return errMalformed(u.Path, err)
			}
			next.Scheme, next.Host, next.User = c.base.Scheme, c.base.Host, nil
			if seen[next.String()] || n > *env.Count/max(len(env.Results), 1)+2 {
				return errNotPretix(c.base.String(), "its page links for "+u.Path+" do not end")
			}
			seen[next.String()] = true
			ahead = make(chan fetched, 1)
			go func(next *url.URL, out chan<- fetched) {
				r, err := c.get(ctx, next, o)
				out <- fetched{r, err}
			}(next, ahead)
		}
		if err := each(pageInfo{number: n, count: *env.Count, header: r.header}, env.Results); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		u = next
	}
}

// listAll decodes every element of a list into T, keeping each raw object.
func listAll[T any](ctx context.Context, c *Client, path string, w where, setRaw func(*T, json.RawMessage)) ([]T, error) {
	var out []T
	err := c.list(ctx, path, nil, w, callOpts{}, func(_ pageInfo, results []json.RawMessage) error {
		for _, raw := range results {
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return errMalformed(path, err)
			}
			if setRaw != nil {
				setRaw(&v, raw)
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}
