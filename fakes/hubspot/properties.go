package hubspotfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Property is a property definition in HubSpot's JSON shape.
type Property struct {
	Name                 string               `json:"name"`
	Label                string               `json:"label"`
	Type                 string               `json:"type"`
	FieldType            string               `json:"fieldType"`
	Description          string               `json:"description"`
	GroupName            string               `json:"groupName"`
	Options              []Option             `json:"options"`
	DisplayOrder         int                  `json:"displayOrder"`
	Calculated           bool                 `json:"calculated"`
	ExternalOptions      bool                 `json:"externalOptions"`
	ReferencedObjectType string               `json:"referencedObjectType,omitempty"`
	HasUniqueValue       bool                 `json:"hasUniqueValue"`
	Hidden               bool                 `json:"hidden"`
	HubspotDefined       bool                 `json:"hubspotDefined,omitempty"`
	FormField            bool                 `json:"formField"`
	ModificationMetadata ModificationMetadata `json:"modificationMetadata"`
	CreatedAt            string               `json:"createdAt,omitempty"`
	UpdatedAt            string               `json:"updatedAt,omitempty"`
	Archived             bool                 `json:"archived"`
}

// Option is one enumeration option; clients must write Value, never Label.
type Option struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description,omitempty"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// ModificationMetadata says what may be changed; ReadOnlyValue rejects writes.
type ModificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
	ReadOnlyOptions    bool `json:"readOnlyOptions,omitempty"`
}

func (p *Property) readOnly() bool { return p.Calculated || p.ModificationMetadata.ReadOnlyValue }

func opts(pairs ...string) []Option {
	out := make([]Option, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Option{Label: pairs[i], Value: pairs[i+1], DisplayOrder: i / 2})
	}
	return out
}

// std builds a writable HubSpot-defined property.
func std(name, label, typ, fieldType, group string, options ...Option) *Property {
	return &Property{
		Name: name, Label: label, Type: typ, FieldType: fieldType, GroupName: group,
		Options: append([]Option{}, options...), HubspotDefined: true, FormField: true, DisplayOrder: -1,
		ModificationMetadata: ModificationMetadata{Archivable: false, ReadOnlyDefinition: true},
	}
}

// ro builds a read-only HubSpot-defined property.
func ro(name, label, typ, fieldType, group string) *Property {
	p := std(name, label, typ, fieldType, group)
	p.FormField = false
	p.ModificationMetadata.ReadOnlyValue = true
	return p
}

// calc builds a calculated HubSpot-defined property.
func calc(name, label, typ, fieldType, group string) *Property {
	p := ro(name, label, typ, fieldType, group)
	p.Calculated = true
	return p
}

func defaultProperties(now time.Time) map[string][]*Property {
	lifecycle := opts("Subscriber", "subscriber", "Lead", "lead", "Marketing Qualified Lead", "marketingqualifiedlead",
		"Sales Qualified Lead", "salesqualifiedlead", "Opportunity", "opportunity", "Customer", "customer",
		"Evangelist", "evangelist", "Other", "other")
	buyingRole := opts("Blocker", "BLOCKER", "Budget Holder", "BUDGET_HOLDER", "Champion", "CHAMPION",
		"Decision Maker", "DECISION_MAKER", "End User", "END_USER", "Executive Sponsor", "EXECUTIVE_SPONSOR",
		"Influencer", "INFLUENCER", "Legal & Compliance", "LEGAL_AND_COMPLIANCE", "Other", "OTHER")
	language := opts("English", "en", "German", "de", "French", "fr", "Spanish", "es", "Dutch", "nl", "Italian", "it")
	industry := opts("Computer Software", "COMPUTER_SOFTWARE", "Events Services", "EVENTS_SERVICES",
		"Education Management", "EDUCATION_MANAGEMENT", "Entertainment", "ENTERTAINMENT", "Non-Profit Organization Management", "NONPROFIT_ORGANIZATION_MANAGEMENT")
	dealType := opts("New Business", "newbusiness", "Existing Business", "existingbusiness")
	currencies := opts("Euro", "EUR", "US Dollar", "USD", "Swiss Franc", "CHF", "British Pound", "GBP")

	pipeline := std("pipeline", "Pipeline", "enumeration", "select", "dealinformation")
	pipeline.ExternalOptions = true
	pipeline.ReferencedObjectType = "PIPELINE"
	stage := std("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation")
	stage.ExternalOptions = true
	stage.ReferencedObjectType = "PIPELINE_STAGE"
	owner := std("hubspot_owner_id", "Contact owner", "enumeration", "select", "contactinformation")
	owner.ExternalOptions = true
	owner.ReferencedObjectType = "OWNER"

	m := map[string][]*Property{
		"contacts": {
			std("email", "Email", "string", "text", "contactinformation"),
			std("firstname", "First Name", "string", "text", "contactinformation"),
			std("lastname", "Last Name", "string", "text", "contactinformation"),
			std("phone", "Phone Number", "string", "phonenumber", "contactinformation"),
			std("mobilephone", "Mobile Phone Number", "string", "phonenumber", "contactinformation"),
			std("company", "Company Name", "string", "text", "contactinformation"),
			std("jobtitle", "Job Title", "string", "text", "contactinformation"),
			std("address", "Street Address", "string", "text", "contactinformation"),
			std("zip", "Postal Code", "string", "text", "contactinformation"),
			std("city", "City", "string", "text", "contactinformation"),
			std("state", "State/Region", "string", "text", "contactinformation"),
			std("country", "Country/Region", "string", "text", "contactinformation"),
			std("hs_country_region_code", "Country/Region Code", "string", "text", "contactinformation"),
			std("annualrevenue", "Annual Revenue", "number", "number", "contactinformation"),
			std("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation", lifecycle...),
			std("hs_buying_role", "Buying Role", "enumeration", "checkbox", "contactinformation", buyingRole...),
			std("hs_language", "Preferred language", "enumeration", "select", "contactinformation", language...),
			std("hs_email_optout", "Unsubscribed from all email", "bool", "booleancheckbox", "contactinformation",
				Option{Label: "True", Value: "true"}, Option{Label: "False", Value: "false", DisplayOrder: 1}),
			owner,
			ro("createdate", "Create Date", "datetime", "date", "contactinformation"),
			ro("lastmodifieddate", "Last Modified Date", "datetime", "date", "contactinformation"),
			ro("hs_object_id", "Record ID", "number", "number", "contactinformation"),
			calc("num_associated_deals", "Number of Associated Deals", "number", "calculation_rollup", "contactinformation"),
			calc("hs_lifecyclestage_customer_date", "Became a Customer Date", "datetime", "calculation_equation", "contactinformation"),
		},
		"companies": {
			std("name", "Company name", "string", "text", "companyinformation"),
			std("domain", "Company Domain Name", "string", "text", "companyinformation"),
			std("phone", "Phone Number", "string", "phonenumber", "companyinformation"),
			std("address", "Street Address", "string", "text", "companyinformation"),
			std("zip", "Postal Code", "string", "text", "companyinformation"),
			std("city", "City", "string", "text", "companyinformation"),
			std("country", "Country/Region", "string", "text", "companyinformation"),
			std("industry", "Industry", "enumeration", "select", "companyinformation", industry...),
			std("numberofemployees", "Number of Employees", "number", "number", "companyinformation"),
			std("description", "Description", "string", "textarea", "companyinformation"),
			ro("createdate", "Create Date", "datetime", "date", "companyinformation"),
			ro("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "companyinformation"),
			ro("hs_object_id", "Record ID", "number", "number", "companyinformation"),
			calc("num_associated_contacts", "Number of Associated Contacts", "number", "calculation_rollup", "companyinformation"),
		},
		"deals": {
			std("dealname", "Deal Name", "string", "text", "dealinformation"),
			std("amount", "Amount", "number", "number", "dealinformation"),
			std("closedate", "Close Date", "datetime", "date", "dealinformation"),
			pipeline,
			stage,
			std("dealtype", "Deal Type", "enumeration", "radio", "dealinformation", dealType...),
			std("deal_currency_code", "Currency", "enumeration", "select", "dealinformation", currencies...),
			std("description", "Deal Description", "string", "textarea", "dealinformation"),
			ro("createdate", "Create Date", "datetime", "date", "dealinformation"),
			ro("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "dealinformation"),
			ro("hs_object_id", "Record ID", "number", "number", "dealinformation"),
			calc("hs_is_closed", "Is Deal Closed?", "bool", "calculation_equation", "dealinformation"),
			calc("days_to_close", "Days to close", "number", "calculation_equation", "dealinformation"),
		},
		"line_items": {
			std("name", "Name", "string", "text", "lineiteminformation"),
			std("quantity", "Quantity", "number", "number", "lineiteminformation"),
			std("price", "Unit price", "number", "number", "lineiteminformation"),
			std("hs_product_id", "Product ID", "number", "number", "lineiteminformation"),
			std("hs_sku", "SKU", "string", "text", "lineiteminformation"),
			std("hs_line_item_currency_code", "Currency", "enumeration", "select", "lineiteminformation", currencies...),
			std("hs_tax_rate", "Tax rate", "number", "number", "lineiteminformation"),
			std("description", "Description", "string", "textarea", "lineiteminformation"),
			calc("amount", "Net price", "number", "calculation_equation", "lineiteminformation"),
			ro("createdate", "Create Date", "datetime", "date", "lineiteminformation"),
			ro("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "lineiteminformation"),
			ro("hs_object_id", "Record ID", "number", "number", "lineiteminformation"),
		},
		"products": {
			std("name", "Name", "string", "text", "productinformation"),
			std("price", "Unit price", "number", "number", "productinformation"),
			std("hs_sku", "SKU", "string", "text", "productinformation"),
			std("description", "Description", "string", "textarea", "productinformation"),
			ro("createdate", "Create Date", "datetime", "date", "productinformation"),
			ro("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "productinformation"),
			ro("hs_object_id", "Record ID", "number", "number", "productinformation"),
		},
	}
	stamp := now.UTC().Format(timeLayout)
	for _, list := range m {
		for i, p := range list {
			p.DisplayOrder = i
			p.CreatedAt, p.UpdatedAt = stamp, stamp
		}
	}
	return m
}

// timeLayout is how HubSpot renders timestamps.
const timeLayout = "2006-01-02T15:04:05.000Z"

var propertyNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// validFieldTypes is the properties guide's type/fieldType table.
var validFieldTypes = map[string][]string{
	"string":       {"text", "textarea", "file", "html", "phonenumber", "calculation_equation"},
	"number":       {"number", "calculation_equation"},
	"date":         {"date"},
	"datetime":     {"date"},
	"enumeration":  {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
	"bool":         {"booleancheckbox", "calculation_equation"},
	"phone_number": {"phonenumber", "text"},
}

// maxUniquePerType is HubSpot's cap on hasUniqueValue properties per object type.
const maxUniquePerType = 10

func (s *Server) listProperties(w http.ResponseWriter, r *http.Request, c *callCtx) {
	ot := c.objectType
	if e := c.requireAnyScope(objectScope(ot, "read"), "crm.schemas."+ot+".read"); e != nil {
		s.writeError(w, e)
		return
	}
	archived := r.URL.Query().Get("archived") == "true"
	out := []*Property{}
	for _, p := range c.portal.props[ot] {
		if p.Archived == archived {
			out = append(out, p)
		}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"results": out})
}

func (s *Server) getProperty(w http.ResponseWriter, r *http.Request, c *callCtx) {
	ot := c.objectType
	if e := c.requireAnyScope(objectScope(ot, "read"), "crm.schemas."+ot+".read"); e != nil {
		s.writeError(w, e)
		return
	}
	p := c.portal.property(ot, r.PathValue("name"))
	if p == nil {
		s.writeError(w, notFoundError(fmt.Sprintf("Unable to find property %s for object type %s", r.PathValue("name"), typeIDs[ot])))
		return
	}
	s.writeJSON(w, http.StatusOK, p)
}

// propertyCreate is the body of a property creation.
type propertyCreate struct {
	Name           string   `json:"name"`
	Label          string   `json:"label"`
	Type           string   `json:"type"`
	FieldType      string   `json:"fieldType"`
	GroupName      string   `json:"groupName"`
	Description    string   `json:"description"`
	Options        []Option `json:"options"`
	DisplayOrder   int      `json:"displayOrder"`
	HasUniqueValue bool     `json:"hasUniqueValue"`
	Hidden         bool     `json:"hidden"`
	FormField      bool     `json:"formField"`
}

func (s *Server) createProperty(w http.ResponseWriter, r *http.Request, c *callCtx) {
	ot := c.objectType
	if e := c.requireAnyScope(schemaScope(ot)); e != nil {
		s.writeError(w, e)
		return
	}
	var in propertyCreate
	if err := json.Unmarshal(c.body, &in); err != nil {
		s.writeError(w, badRequest("Invalid input JSON on line 1: "+err.Error()))
		return
	}
	p, e := s.addProperty(c.portal, ot, in)
	if e != nil {
		s.writeError(w, e)
		return
	}
	s.writeJSON(w, http.StatusCreated, p)
}

// addProperty validates and stores a custom property; s.mu must be held.
func (s *Server) addProperty(pt *portal, ot string, in propertyCreate) (*Property, *apiError) {
	var problems []errorDetail
	if !propertyNameRE.MatchString(in.Name) {
		problems = append(problems, errorDetail{Message: fmt.Sprintf("Property name %q must start with a lower-case letter and contain only lower-case letters, digits and underscores", in.Name), Code: "INVALID_PROPERTY_NAME", In: "name"})
	}
	if strings.TrimSpace(in.Label) == "" {
		problems = append(problems, errorDetail{Message: "label is required", Code: "REQUIRED_FIELD", In: "label"})
	}
	allowed, ok := validFieldTypes[in.Type]
	if !ok {
		problems = append(problems, errorDetail{Message: fmt.Sprintf("%q is not a valid property type", in.Type), Code: "INVALID_TYPE", In: "type"})
	} else if !contains(allowed, in.FieldType) {
		problems = append(problems, errorDetail{Message: fmt.Sprintf("fieldType %q is not valid for type %q; use one of %s", in.FieldType, in.Type, strings.Join(allowed, ", ")), Code: "INVALID_FIELD_TYPE", In: "fieldType"})
	}
	if in.Type == "enumeration" && len(in.Options) == 0 {
		problems = append(problems, errorDetail{Message: "enumeration properties need at least one option", Code: "REQUIRED_FIELD", In: "options"})
	}
	if in.GroupName == "" {
		in.GroupName = map[string]string{"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation"}[ot]
	}
	if len(problems) > 0 {
		e := badRequest("Property definition was not valid")
		e.body.Errors = problems
		return nil, e
	}
	if existing := pt.property(ot, in.Name); existing != nil {
		e := newAPIError(http.StatusConflict, "OBJECT_ALREADY_EXISTS", fmt.Sprintf("Property named '%s' already exists.", in.Name))
		e.body.SubCategory = "PropertyValidationError.PROPERTY_ALREADY_EXISTS"
		return nil, e
	}
	if in.HasUniqueValue {
		n := 0
		for _, p := range pt.props[ot] {
			if p.HasUniqueValue {
				n++
			}
		}
		if n >= maxUniquePerType {
			return nil, badRequest(fmt.Sprintf("Unable to create property %s: an object type can have at most %d unique-value properties", in.Name, maxUniquePerType))
		}
	}
	stamp := s.clock.Now().UTC().Format(timeLayout)
	for i := range in.Options {
		if in.Options[i].DisplayOrder == 0 {
			in.Options[i].DisplayOrder = i
		}
	}
	p := &Property{
		Name: in.Name, Label: in.Label, Type: in.Type, FieldType: in.FieldType, GroupName: in.GroupName,
		Description: in.Description, Options: append([]Option{}, in.Options...), DisplayOrder: in.DisplayOrder,
		HasUniqueValue: in.HasUniqueValue, Hidden: in.Hidden, FormField: in.FormField,
		ModificationMetadata: ModificationMetadata{Archivable: true},
		CreatedAt:            stamp, UpdatedAt: stamp,
	}
	pt.props[ot] = append(pt.props[ot], p)
	return p, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Pipeline is a deal pipeline in HubSpot's JSON shape.
type Pipeline struct {
	ID           string  `json:"id"`
	Label        string  `json:"label"`
	DisplayOrder int     `json:"displayOrder"`
	Archived     bool    `json:"archived"`
	CreatedAt    string  `json:"createdAt"`
	UpdatedAt    string  `json:"updatedAt"`
	Stages       []Stage `json:"stages"`
}

// Stage is a pipeline stage; metadata values are strings, as HubSpot sends them.
type Stage struct {
	ID           string            `json:"id"`
	Label        string            `json:"label"`
	DisplayOrder int               `json:"displayOrder"`
	Archived     bool              `json:"archived"`
	Metadata     map[string]string `json:"metadata"`
	// WritePermissions says who may move deals into the stage; HubSpot's
	// stages say CRM_PERMISSIONS_ENFORCEMENT unless locked down.
	WritePermissions string `json:"writePermissions"`
	CreatedAt        string `json:"createdAt"`
	UpdatedAt        string `json:"updatedAt"`
}

func defaultPipelines(now time.Time) []*Pipeline {
	stamp := now.UTC().Format(timeLayout)
	stages := []struct {
		id, label, prob string
		closed          bool
	}{
		{"appointmentscheduled", "Appointment Scheduled", "0.2", false},
		{"qualifiedtobuy", "Qualified To Buy", "0.4", false},
		{"presentationscheduled", "Presentation Scheduled", "0.6", false},
		{"decisionmakerboughtin", "Decision Maker Bought-In", "0.8", false},
		{"contractsent", "Contract Sent", "0.9", false},
		{"closedwon", "Closed Won", "1.0", true},
		{"closedlost", "Closed Lost", "0.0", true},
	}
	p := &Pipeline{ID: "default", Label: "Sales Pipeline", CreatedAt: stamp, UpdatedAt: stamp}
	for i, st := range stages {
		p.Stages = append(p.Stages, Stage{ID: st.id, Label: st.label, DisplayOrder: i, CreatedAt: stamp, UpdatedAt: stamp,
			WritePermissions: "CRM_PERMISSIONS_ENFORCEMENT",
			Metadata:         map[string]string{"isClosed": fmt.Sprint(st.closed), "probability": st.prob}})
	}
	return []*Pipeline{p}
}

func (p *portal) pipeline(id string) *Pipeline {
	for _, pl := range p.pipelines {
		if pl.ID == id && !pl.Archived {
			return pl
		}
	}
	return nil
}

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request, c *callCtx) {
	if c.objectType != "deals" {
		s.writeJSON(w, http.StatusOK, map[string]any{"results": []any{}})
		return
	}
	if e := c.requireAnyScope("crm.objects.deals.read", "crm.schemas.deals.read"); e != nil {
		s.writeError(w, e)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"results": c.portal.pipelines})
}

func (s *Server) getPipeline(w http.ResponseWriter, r *http.Request, c *callCtx) {
	if e := c.requireAnyScope("crm.objects.deals.read", "crm.schemas.deals.read"); e != nil {
		s.writeError(w, e)
		return
	}
	pl := c.portal.pipeline(r.PathValue("id"))
	if pl == nil || c.objectType != "deals" {
		s.writeError(w, notFoundError("Unable to find pipeline "+r.PathValue("id")))
		return
	}
	s.writeJSON(w, http.StatusOK, pl)
}
