package hubspot

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"pretix-hubspot/apperr"
)

func TestClassificationTable(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	validation := `{"status":"error","message":"Property values were not valid","correlationId":"c-1","category":"VALIDATION_ERROR","subCategory":"sub","context":{"propertyName":["dealstage"]},"errors":[{"message":"x was not one of the allowed options","code":"INVALID_OPTION","in":"dealstage"}]}`
	cases := []struct {
		row     string
		status  int
		header  http.Header
		body    string
		class   Class
		appCode string
	}{
		{"400 validation (invalid option, date, email, number)", 400, nil, validation, ClassPermanent, "hubspot_rejected"},
		{"400 non-unique idProperty", 400, nil, `{"status":"error","message":"Unable to perform update/upsert by non-unique 0-1 property email","category":"VALIDATION_ERROR"}`, ClassConfig, "hubspot_misconfigured"},
		{"400 unknown property", 400, nil, `{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR","errors":[{"message":"Property \"x\" does not exist","code":"PROPERTY_DOESNT_EXIST","in":"x"}]}`, ClassConfig, "hubspot_misconfigured"},
		{"400 read-only property", 400, nil, `{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR","errors":[{"message":"read only","code":"READ_ONLY_VALUE","in":"createdate"}]}`, ClassConfig, "hubspot_misconfigured"},
		{"401 expired token", 401, nil, `{"status":"error","message":"The OAuth token used to make this call expired 3 second(s) ago.","category":"EXPIRED_AUTHENTICATION"}`, ClassTemporary, "hubspot_unavailable"},
		{"401 other", 401, nil, `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`, ClassConfig, "hubspot_needs_reconnect"},
		{"403 missing scopes", 403, nil, `{"status":"error","message":"This app hasn't been granted all required scopes","category":"MISSING_SCOPES","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredScopes":["crm.objects.deals.write"]}}]}`, ClassConfig, "hubspot_missing_scopes"},
		{"404 not found", 404, nil, `{"status":"error","message":"resource not found","category":"OBJECT_NOT_FOUND"}`, ClassPermanent, "hubspot_rejected"},
		{"409 conflict (race)", 409, nil, `{"status":"error","message":"Contact already exists. Existing ID: 5","category":"CONFLICT"}`, ClassTemporary, "hubspot_unavailable"},
		{"414 too long", 414, nil, ``, ClassPermanent, "hubspot_rejected"},
		{"423 locked", 423, nil, `{"status":"error","message":"locked"}`, ClassTemporary, "hubspot_unavailable"},
		{"429 ten-secondly", 429, nil, `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`, ClassRateLimit, "hubspot_rate_limited"},
		{"429 secondly", 429, nil, `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}`, ClassRateLimit, "hubspot_rate_limited"},
		{"429 daily", 429, nil, `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}`, ClassRateLimit, "hubspot_rate_limited"},
		{"477 migration", 477, http.Header{"Retry-After": {"3600"}}, `{"status":"error","message":"Migration in progress"}`, ClassRateLimit, "hubspot_rate_limited"},
		{"500", 500, nil, `{"status":"error","message":"internal error"}`, ClassTemporary, "hubspot_unavailable"},
		{"502", 502, nil, `<html>Bad gateway</html>`, ClassTemporary, "hubspot_unavailable"},
		{"503", 503, nil, ``, ClassTemporary, "hubspot_unavailable"},
		{"504", 504, nil, ``, ClassTemporary, "hubspot_unavailable"},
		{"521", 521, nil, ``, ClassTemporary, "hubspot_unavailable"},
		{"522", 522, nil, ``, ClassTemporary, "hubspot_unavailable"},
		{"523", 523, nil, ``, ClassTemporary, "hubspot_unavailable"},
		{"524", 524, nil, ``, ClassTemporary, "hubspot_unavailable"},
		{"other 4xx", 405, nil, ``, ClassPermanent, "hubspot_rejected"},
	}
	for _, c := range cases {
		t.Run(c.row, func(t *testing.T) {
			h := c.header
			if h == nil {
				h = http.Header{}
			}
			e := classifyResponse("batch upsert deals", c.status, h, []byte(c.body), now)
			if e.Class != c.class {
				t.Errorf("class = %s, want %s", e.Class, c.class)
			}
			if e.Status != c.status || e.Message == "" {
				t.Errorf("status %d message %q", e.Status, e.Message)
			}
			if ae, ok := apperr.As(e); !ok || ae.Code != c.appCode || ae.Message == "" {
				t.Errorf("apperr = %+v, want code %s", ae, c.appCode)
			}
			if c.status == 477 && !e.RetryAt.Equal(now.Add(time.Hour)) {
				t.Errorf("477 retry at %v", e.RetryAt)
			}
		})
	}
	// Everything HubSpot said is kept.
	e := classifyResponse("batch upsert deals", 400, http.Header{}, []byte(validation), now)
	if e.CorrelationID != "c-1" || e.Category != "VALIDATION_ERROR" || e.SubCategory != "sub" || e.Context["propertyName"][0] != "dealstage" ||
		e.Details[0].Code != "INVALID_OPTION" || e.Details[0].In != "dealstage" {
		t.Errorf("kept = %+v", e)
	}
	if s := e.Error(); !strings.Contains(s, "batch upsert deals") || !strings.Contains(s, "400 VALIDATION_ERROR") || !strings.Contains(s, "c-1") {
		t.Errorf("Error() = %s", s)
	}
}

func TestClassifyItemsAndTransport(t *testing.T) {
	items := []struct {
		category string
		code     string
		class    Class
	}{
		{"VALIDATION_ERROR", "INVALID_DATE", ClassPermanent},
		{"VALIDATION_ERROR", "PROPERTY_DOESNT_EXIST", ClassConfig},
		{"CONFLICT", "", ClassTemporary},
		{"OBJECT_NOT_FOUND", "", ClassPermanent},
		{"MISSING_SCOPES", "", ClassConfig},
		{"SOMETHING_NEW", "", ClassPermanent},
	}
	for _, it := range items {
		w := wireError{Category: it.category, Message: "m"}
		if it.code != "" {
			w.Errors = []ErrorDetail{{Code: it.code}}
		}
		if got := classifyItem("op", w).Class; got != it.class {
			t.Errorf("207 entry %s/%s: %s, want %s", it.category, it.code, got, it.class)
		}
	}
	transport := []error{
		&net.OpError{Op: "dial", Err: errors.New("connection refused")},
		&net.OpError{Op: "read", Err: errors.New("connection reset by peer")},
		context.DeadlineExceeded,
	}
	for _, err := range transport {
		if e := networkError("op", err); e.Class != ClassTemporary || e.Status != 0 {
			t.Errorf("%v: %+v", err, e)
		}
	}
	if !isNotSent(transport[0]) || isNotSent(transport[1]) {
		t.Error("only dial errors are surely unsent")
	}
	oauth := []struct {
		status int
		body   string
		class  Class
		dead   bool
	}{
		{400, `{"error":"invalid_grant","error_description":"refresh token is invalid, expired or revoked","status":"BAD_REFRESH_TOKEN"}`, ClassConfig, true},
		{400, `{"error":"access_denied","status":"BAD_HUB","message":"hub gone"}`, ClassConfig, true},
		{400, `{"error":"invalid_client","status":"BAD_CLIENT_SECRET"}`, ClassConfig, false},
		{503, ``, ClassTemporary, false},
	}
	for _, o := range oauth {
		e := classifyOAuth("refresh access token", o.status, []byte(o.body))
		if e.Class != o.class || deadGrant(e) != o.dead {
			t.Errorf("%d %s: class %s dead %v", o.status, o.body, e.Class, deadGrant(e))
		}
	}
}
