package hubspot

import (
	"net/url"
	"strconv"
	"strings"
)

// RecordURL links to a record in HubSpot's UI:
// https://<uiDomain>/contacts/<portal>/record/<type id>/<id>. The /contacts/
// segment is the same for every object type. A uiDomain that is not a
// hubspot.com host is not trusted as a link target; app.hubspot.com is used.
func RecordURL(uiDomain string, hubID int64, ot ObjectType, recordID string) string {
	host := strings.ToLower(strings.TrimSpace(uiDomain))
	if host != "hubspot.com" && !strings.HasSuffix(host, ".hubspot.com") || strings.ContainsAny(host, "/:@?#") {
		host = "app.hubspot.com"
	}
	return "https://" + host + "/contacts/" + strconv.FormatInt(hubID, 10) + "/record/" + ot.TypeID() + "/" + url.PathEscape(recordID)
}
