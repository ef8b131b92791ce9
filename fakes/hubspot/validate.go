package hubspotfake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// propValue accepts what clients send as a property value: HubSpot wants
// strings, but also takes JSON numbers and booleans.
type propValue string

func (v *propValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = propValue(s)
		return nil
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	switch t := x.(type) {
	case nil:
		*v = ""
	case float64:
		*v = propValue(strconv.FormatFloat(t, 'f', -1, 64))
	case bool:
		*v = propValue(strconv.FormatBool(t))
	default:
		return fmt.Errorf("property values must be strings, numbers or booleans")
	}
	return nil
}

// invalidProp is one entry of HubSpot's "Property values were not valid" list.
type invalidProp struct {
	IsValid bool   `json:"isValid"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Name    string `json:"name"`
}

var emailRE = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)

// validateProps checks and normalises writes against the property
// definitions, as HubSpot does. existing is the record being updated (nil on
// create); it matters for checkbox appends and deal stages.
func (s *Server) validateProps(pt *portal, ot string, in map[string]propValue, existing *record) (map[string]string, *apiError) {
	names := make([]string, 0, len(in))
	for n := range in {
		names = append(names, n)
	}
	sort.Strings(names)
	out := map[string]string{}
	var bad []invalidProp
	fail := func(name, code, msg string) {
		bad = append(bad, invalidProp{Message: msg, Error: code, Name: name})
	}
	for _, name := range names {
		v := string(in[name])
		p := pt.property(ot, name)
		switch {
		case p == nil:
			fail(name, "PROPERTY_DOESNT_EXIST", fmt.Sprintf("Property \"%s\" does not exist", name))
			continue
		case p.readOnly():
			fail(name, "READ_ONLY_VALUE", fmt.Sprintf("\"%s\" is a read only property; its value cannot be set.", name))
			continue
		case v == "":
			out[name] = ""
			continue
		}
		switch p.Type {
		case "string":
			if ot == "contacts" && name == "email" {
				v = strings.ToLower(strings.TrimSpace(v))
				if !emailRE.MatchString(v) {
					fail(name, "INVALID_EMAIL", fmt.Sprintf("Email address %s is invalid", in[name]))
					continue
				}
			}
			out[name] = v
		case "number":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				fail(name, "INVALID_INTEGER", fmt.Sprintf("%s was not a valid number.", v))
				continue
			}
			out[name] = v
		case "bool":
			lv := strings.ToLower(v)
			if lv != "true" && lv != "false" {
				fail(name, "INVALID_BOOLEAN", fmt.Sprintf("%s was not a valid boolean; use true or false.", v))
				continue
			}
			out[name] = lv
		case "date":
			d, msg := parseDate(v)
			if msg != "" {
				fail(name, "INVALID_DATE", msg)
				continue
			}
			out[name] = d
		case "datetime":
			t, ok := parseDateTime(v)
			if !ok {
				fail(name, "INVALID_DATETIME", fmt.Sprintf("%s is not a valid datetime; send ISO 8601 with an offset or epoch milliseconds.", v))
				continue
			}
			out[name] = t.UTC().Format(timeLayout)
		case "enumeration":
			norm, msg := s.checkOption(pt, ot, p, v, in, existing)
			if msg != "" {
				fail(name, "INVALID_OPTION", msg)
				continue
			}
			out[name] = norm
		default:
			out[name] = v
		}
	}
	if ot == "line_items" || ot == "products" {
		if f, err := strconv.ParseFloat(out["price"], 64); err == nil && f < 0 {
			fail("price", "INVALID_PRICE", fmt.Sprintf("price %s is negative; a price cannot be negative.", out["price"]))
		}
	}
	if ot == "line_items" && out["hs_product_id"] != "" && pt.findBy("products", "", out["hs_product_id"]) == nil {
		fail("hs_product_id", "INVALID_PRODUCT", fmt.Sprintf("Product with id %s does not exist", out["hs_product_id"]))
	}
	if len(bad) == 0 {
		return out, nil
	}
	list, _ := json.Marshal(bad)
	e := badRequest("Property values were not valid: " + string(list))
	for _, b := range bad {
		e.body.Errors = append(e.body.Errors, errorDetail{Message: b.Message, Code: b.Error, In: b.Name,
			Context: map[string][]string{"propertyName": {b.Name}}})
	}
	return nil, e
}

// checkOption validates an enumeration value; it returns the value to store
// or a HubSpot-style message.
func (s *Server) checkOption(pt *portal, ot string, p *Property, v string, in map[string]propValue, existing *record) (string, string) {
	var allowed []string
	switch {
	case p.ReferencedObjectType == "PIPELINE":
		for _, pl := range pt.pipelines {
			if !pl.Archived {
				allowed = append(allowed, pl.ID)
			}
		}
	case p.ReferencedObjectType == "PIPELINE_STAGE":
		plID := string(in["pipeline"])
		if plID == "" && existing != nil {
			plID = existing.props["pipeline"]
		}
		if plID == "" {
			plID = "default"
		}
		if pl := pt.pipeline(plID); pl != nil {
			for _, st := range pl.Stages {
				if !st.Archived {
					allowed = append(allowed, st.ID)
				}
			}
		}
	case p.ReferencedObjectType == "OWNER":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "", fmt.Sprintf("%s is not a valid owner id", v)
		}
		return v, ""
	default:
		for _, o := range p.Options {
			allowed = append(allowed, o.Value)
		}
	}
	notAllowed := func(x string) string {
		return fmt.Sprintf("%s was not one of the allowed options: [%s]", x, strings.Join(allowed, ", "))
	}
	if p.FieldType != "checkbox" {
		if !contains(allowed, v) {
			return "", notAllowed(v)
		}
		return v, ""
	}
	// Multi-select: ";"-separated; a leading ";" appends to what is there.
	appendMode := strings.HasPrefix(v, ";")
	var items []string
	if appendMode && existing != nil && existing.props[p.Name] != "" {
		items = strings.Split(existing.props[p.Name], ";")
	}
	for _, item := range strings.Split(strings.TrimPrefix(v, ";"), ";") {
		if item == "" {
			continue
		}
		if !contains(allowed, item) {
			return "", notAllowed(item)
		}
		if !contains(items, item) {
			items = append(items, item)
		}
	}
	return strings.Join(items, ";"), ""
}

// parseDate accepts YYYY-MM-DD or a timestamp at exactly midnight UTC.
func parseDate(v string) (string, string) {
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t.Format("2006-01-02"), ""
	}
	t, ok := parseDateTime(v)
	if !ok {
		return "", fmt.Sprintf("%s is not a valid date; send YYYY-MM-DD.", v)
	}
	u := t.UTC()
	if u.Hour() != 0 || u.Minute() != 0 || u.Second() != 0 || u.Nanosecond() != 0 {
		return "", fmt.Sprintf("%s is at %d:%d:%d.%d UTC, not midnight!", v, u.Hour(), u.Minute(), u.Second(), u.Nanosecond()/1e6)
	}
	return u.Format("2006-01-02"), ""
}

// parseDateTime accepts ISO 8601 (with offset or Z, or a bare date) and epoch
// milliseconds.
func parseDateTime(v string) (time.Time, bool) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// uniqueConflict finds a record (other than self) or an earlier input of the
// same batch that already holds one of the unique values in props.
func (s *Server) uniqueConflict(pt *portal, ot string, props map[string]string, selfID string, pending map[string]string) *apiError {
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		v := props[name]
		if v == "" || !pt.isUniqueKey(ot, name) {
			continue
		}
		existingID := ""
		if r := pt.findBy(ot, name, v); r != nil && r.id != selfID {
			existingID = r.id
		} else if id, ok := pending[name+"\x00"+v]; ok && id != selfID {
			existingID = id
		}
		if existingID == "" {
			continue
		}
		msg := fmt.Sprintf("A %s with %s %q already exists. Existing ID: %s", strings.ToLower(hubspotTypeName[ot]), name, v, existingID)
		if ot == "contacts" && name == "email" {
			msg = "Contact already exists. Existing ID: " + existingID
		}
		e := newAPIError(http.StatusConflict, "CONFLICT", msg)
		return e
	}
	return nil
}

// reserveUnique records an input's unique values so later inputs in the same
// batch conflict with it.
func reserveUnique(pt *portal, ot string, props map[string]string, id string, pending map[string]string) {
	for name, v := range props {
		if v != "" && pt.isUniqueKey(ot, name) {
			pending[name+"\x00"+v] = id
		}
	}
}

func normEmail(v string) string { return strings.ToLower(strings.TrimSpace(v)) }
