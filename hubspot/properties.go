package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"pretix-hubspot/apperr"
)

// Property is a HubSpot property definition (the fields the mapping needs).
type Property struct {
	Name                 string               `json:"name"`
	Label                string               `json:"label"`
	Description          string               `json:"description"`
	GroupName            string               `json:"groupName"`
	Type                 string               `json:"type"`      // string, number, date, datetime, enumeration, bool, phone_number
	FieldType            string               `json:"fieldType"` // text, textarea, select, radio, checkbox, booleancheckbox, date, number, phonenumber, …
	Options              []Option             `json:"options"`
	DisplayOrder         int                  `json:"displayOrder"`
	HasUniqueValue       bool                 `json:"hasUniqueValue"`
	Calculated           bool                 `json:"calculated"`
	ExternalOptions      bool                 `json:"externalOptions"`
	ReferencedObjectType string               `json:"referencedObjectType,omitempty"`
	Hidden               bool                 `json:"hidden"`
	HubspotDefined       bool                 `json:"hubspotDefined"`
	FormField            bool                 `json:"formField"`
	Archived             bool                 `json:"archived"`
	ModificationMetadata ModificationMetadata `json:"modificationMetadata"`
}

// Option is an enumeration option: write Value, show Label.
type Option struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description,omitempty"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// ModificationMetadata says what may be changed.
type ModificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
	ReadOnlyOptions    bool `json:"readOnlyOptions"`
}

// Writable reports whether values may be written to the property.
func (p Property) Writable() bool {
	return !p.Calculated && !p.ModificationMetadata.ReadOnlyValue && !p.Archived
}

// MultiSelect reports whether the property holds several ";"-separated options.
func (p Property) MultiSelect() bool { return p.Type == "enumeration" && p.FieldType == "checkbox" }

// IsUniqueKey reports whether p can identify a record in batch read/upsert:
// contact email (unique although its definition does not say so) or a
// hasUniqueValue property.
func IsUniqueKey(ot ObjectType, p Property) bool {
	return (ot == Contacts && p.Name == "email") || p.HasUniqueValue
}

type propKey struct {
	hub int64
	ot  ObjectType
}

type propEntry struct {
	props   []Property
	fetched time.Time
}

// Properties returns the portal's property definitions for ot, cached per
// portal for Options.PropertyTTL.
func (c *Client) Properties(ctx context.Context, ot ObjectType) ([]Property, error) {
	key := propKey{c.hubID, ot}
	s := c.svc
	s.propMu.Lock()
	e, ok := s.props[key]
	s.propMu.Unlock()
	if ok && s.clock.Since(e.fetched) < s.opts.PropertyTTL {
		return e.props, nil
	}
	return c.loadProperties(ctx, ot)
}

// RefreshProperties reloads the definitions, bypassing the cache.
func (c *Client) RefreshProperties(ctx context.Context, ot ObjectType) ([]Property, error) {
	return c.loadProperties(ctx, ot)
}

// Property returns one property definition from the cached list.
func (c *Client) Property(ctx context.Context, ot ObjectType, name string) (*Property, bool, error) {
	props, err := c.Properties(ctx, ot)
	if err != nil {
		return nil, false, err
	}
	for i := range props {
		if props[i].Name == name {
			p := props[i]
			return &p, true, nil
		}
	}
	return nil, false, nil
}

func (c *Client) loadProperties(ctx context.Context, ot ObjectType) ([]Property, error) {
	if !ot.Valid() {
		return nil, apperr.Internal(fmt.Errorf("hubspot: unknown object type %q", ot))
	}
	key := propKey{c.hubID, ot}
	v, err, _ := c.svc.propsLoad.Do(fmt.Sprintf("%d/%s", c.hubID, ot), func() (any, error) {
		op := "read properties of " + string(ot)
		resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/crm/properties/" + APIVersion + "/" + string(ot), idempotent: true})
		if err != nil {
			return nil, err
		}
		var out struct {
			Results []Property `json:"results"`
		}
		if err := decode(op, resp, &out); err != nil {
			return nil, err
		}
		c.svc.propMu.Lock()
		c.svc.props[key] = propEntry{props: out.Results, fetched: c.svc.clock.Now()}
		c.svc.propMu.Unlock()
		return out.Results, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]Property), nil
}

func (c *Client) forgetProperties(ot ObjectType) {
	c.svc.propMu.Lock()
	delete(c.svc.props, propKey{c.hubID, ot})
	c.svc.propMu.Unlock()
}

// PropertySpec describes a property to create.
type PropertySpec struct {
	Name           string   `json:"name"`
	Label          string   `json:"label"`
	Description    string   `json:"description,omitempty"`
	GroupName      string   `json:"groupName,omitempty"`
	Type           string   `json:"type"`
	FieldType      string   `json:"fieldType"`
	Options        []Option `json:"options,omitempty"`
	HasUniqueValue bool     `json:"hasUniqueValue,omitempty"`
	FormField      bool     `json:"formField"`
}

var propertyNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// CreateProperty creates a custom property (needs the crm.schemas.*.write
// scope) and drops the cached definitions.
func (c *Client) CreateProperty(ctx context.Context, ot ObjectType, spec PropertySpec) (*Property, error) {
	if !propertyNameRE.MatchString(spec.Name) {
		return nil, apperr.Invalid("hubspot_property_name_invalid",
			fmt.Sprintf("%q is not a valid HubSpot property name: start with a lower-case letter and use only lower-case letters, digits and _.", spec.Name)).WithField("name", "Invalid name.")
	}
	if spec.GroupName == "" {
		spec.GroupName = map[ObjectType]string{Contacts: "contactinformation", Companies: "companyinformation", Deals: "dealinformation", LineItems: "lineiteminformation", Products: "productinformation"}[ot]
	}
	op := "create property " + string(ot) + "." + spec.Name
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/crm/properties/" + APIVersion + "/" + string(ot), body: spec})
	c.forgetProperties(ot)
	if err != nil {
		return nil, err
	}
	var p Property
	if err := decode(op, resp, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// EnsureUniqueProperty makes sure a text property with hasUniqueValue exists
// (e.g. the deal's pretix order key) and returns it. An existing property of
// that name that is not unique is a misconfiguration: uniqueness cannot be
// added later in HubSpot.
func (c *Client) EnsureUniqueProperty(ctx context.Context, ot ObjectType, name, label, description string) (*Property, error) {
	p, found, err := c.Property(ctx, ot, name)
	if err != nil {
		return nil, err
	}
	if !found {
		p, err = c.CreateProperty(ctx, ot, PropertySpec{Name: name, Label: label, Description: description, Type: "string", FieldType: "text", HasUniqueValue: true})
		var he *Error
		if errors.As(err, &he) && he.Status == http.StatusConflict {
			// Created meanwhile by someone else: read what is there.
			p, found, err = c.Property(ctx, ot, name)
			if err == nil && !found {
				err = he
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if !p.HasUniqueValue {
		return nil, &Error{Class: ClassConfig, Op: "check property " + string(ot) + "." + name,
			Message: fmt.Sprintf("the HubSpot property %q exists but does not require unique values; HubSpot cannot make an existing property unique, so pick another name or delete that property in HubSpot", name)}
	}
	return p, nil
}

// Pipeline is a deal (or ticket) pipeline.
type Pipeline struct {
	ID           string  `json:"id"`
	Label        string  `json:"label"`
	DisplayOrder int     `json:"displayOrder"`
	Archived     bool    `json:"archived"`
	Stages       []Stage `json:"stages"`
}

// Stage is a pipeline stage; write its ID to dealstage, never its label.
type Stage struct {
	ID           string  `json:"id"`
	Label        string  `json:"label"`
	DisplayOrder int     `json:"displayOrder"`
	Archived     bool    `json:"archived"`
	IsClosed     bool    `json:"isClosed"`
	Probability  float64 `json:"probability"`
}

// Pipelines lists the pipelines of an object type (deals).
func (c *Client) Pipelines(ctx context.Context, ot ObjectType) ([]Pipeline, error) {
	op := "read pipelines of " + string(ot)
	resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/crm/pipelines/" + APIVersion + "/" + string(ot), idempotent: true})
	if err != nil {
		return nil, err
	}
	var out struct {
		Results []struct {
			Pipeline
			Stages []struct {
				Stage
				Metadata map[string]string `json:"metadata"`
			} `json:"stages"`
		} `json:"results"`
	}
	if err := decode(op, resp, &out); err != nil {
		return nil, err
	}
	pls := make([]Pipeline, 0, len(out.Results))
	for _, r := range out.Results {
		pl := r.Pipeline
		pl.Stages = nil
		for _, st := range r.Stages {
			s := st.Stage
			s.IsClosed = st.Metadata["isClosed"] == "true"
			s.Probability, _ = strconv.ParseFloat(st.Metadata["probability"], 64)
			pl.Stages = append(pl.Stages, s)
		}
		pls = append(pls, pl)
	}
	return pls, nil
}

// Account is the portal's settings from account-info.
type Account struct {
	PortalID             int64    `json:"portalId"`
	AccountType          string   `json:"accountType"`
	TimeZone             string   `json:"timeZone"`
	CompanyCurrency      string   `json:"companyCurrency"`
	AdditionalCurrencies []string `json:"additionalCurrencies"`
	UTCOffset            string   `json:"utcOffset"`
	UIDomain             string   `json:"uiDomain"`
	DataHostingLocation  string   `json:"dataHostingLocation"`
}

// AccountDetails reads the portal's settings (needs the oauth scope).
func (c *Client) AccountDetails(ctx context.Context) (*Account, error) {
	const op = "read account details"
	resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/account-info/" + APIVersion + "/details", idempotent: true})
	if err != nil {
		return nil, err
	}
	var a Account
	if err := decode(op, resp, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
