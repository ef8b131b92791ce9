package hubspot

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/config"
	"pretix-hubspot/models"
)

// AppSettings is the admin's view of the HubSpot app this installation uses
// for "Request access". It never holds the client secret, only whether one
// is set.
type AppSettings struct {
	ClientID        string `json:"client_id"`
	ClientSecretSet bool   `json:"client_secret_set"`
	// FromEnv: the environment sets both values, and they win over the
	// stored ones (which the form then cannot change).
	FromEnv bool `json:"from_env"`
	// EnvNote explains a half-set environment, which is ignored.
	EnvNote        string      `json:"env_note,omitempty"`
	Configured     bool        `json:"configured"`
	RedirectURI    string      `json:"redirect_uri"`
	RequiredScopes []ScopeNeed `json:"required_scopes"`
	OptionalScopes []ScopeNeed `json:"optional_scopes"`
	UpdatedAt      *time.Time  `json:"updated_at,omitempty"`
}

var scopePurposes = map[string]string{
	"oauth":                       "identify the HubSpot account and its settings",
	"crm.objects.contacts.read":   "find existing contacts before writing",
	"crm.objects.contacts.write":  "create and update contacts",
	"crm.objects.companies.read":  "find existing companies before writing",
	"crm.objects.companies.write": "create and update companies",
	"crm.objects.deals.read":      "find existing deals before writing",
	"crm.objects.deals.write":     "create and update deals",
	"crm.schemas.contacts.read":   "list contact properties for the mapping editor",
	"crm.schemas.companies.read":  "list company properties for the mapping editor",
	"crm.schemas.deals.read":      "list deal properties and pipelines for the mapping editor",
	"crm.schemas.contacts.write":  "create a unique order-key property on contacts for you",
	"crm.schemas.companies.write": "create a unique order-key property on companies for you",
	"crm.schemas.deals.write":     "create a unique order-key property on deals for you",
	ScopeMarketingEventsRead:      "read the marketing events of your pretix events",
	ScopeMarketingEventsWrite:     "create marketing events and record registrations, attendance and cancellations",
	ScopeLineItemsRead:            "find the line items of synced deals",
	ScopeLineItemsWrite:           "create, update and remove the line items of deals",
	ScopeLineItemsSchemas:         "create a unique ticket-key property on line items for you",
	ScopeProducts:                 "create products for your pretix products, so line items point at them",
}

func scopeNeeds(scopes []string) []ScopeNeed {
	out := make([]ScopeNeed, 0, len(scopes))
	for _, s := range scopes {
		out = append(out, ScopeNeed{Scope: s, Purpose: scopePurposes[s]})
	}
	return out
}

// envActive reports whether the environment's credentials are in effect;
// OAuth uses them only when both are set.
func (s *Service) envActive() bool { return s.opts.ClientID != "" && s.opts.ClientSecret != "" }

// appCredentials returns the credentials "Request access" will use.
func (s *Service) appCredentials(ctx context.Context) (string, string, error) {
	if s.envActive() {
		return s.opts.ClientID, s.opts.ClientSecret, nil
	}
	return s.store.AppCredentials(ctx)
}

// AppSettings returns the HubSpot app settings and what to register in the
// HubSpot app (redirect URI, scopes).
func (s *Service) AppSettings(ctx context.Context) (*AppSettings, error) {
	out := &AppSettings{RedirectURI: s.opts.RedirectURL, RequiredScopes: scopeNeeds(RequiredScopes), OptionalScopes: scopeNeeds(OptionalScopes)}
	var m models.HubSpotAppSettings
	err := s.opts.DB.WithContext(ctx).Where("id = 1").Take(&m).Error
	switch {
	case err == nil:
		out.ClientID, out.ClientSecretSet = m.ClientID, m.ClientSecretSealed != ""
		t := m.UpdatedAt
		out.UpdatedAt = &t
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return nil, apperr.Internal(err)
	}
	idVar, secVar := config.EnvName("hubspot-client-id"), config.EnvName("hubspot-client-secret")
	switch {
	case s.envActive():
		out.FromEnv, out.ClientID, out.ClientSecretSet, out.UpdatedAt = true, s.opts.ClientID, true, nil
	case s.opts.ClientID != "":
		out.EnvNote = idVar + " is set but " + secVar + " is not, so the environment is ignored and the values below are used. Set both or neither."
	case s.opts.ClientSecret != "":
		out.EnvNote = secVar + " is set but " + idVar + " is not, so the environment is ignored and the values below are used. Set both or neither."
	}
	out.Configured = out.ClientID != "" && out.ClientSecretSet
	return out, nil
}

// SaveAppSettings stores the client id and, when not empty, the client
// secret (sealed). It is refused while the environment sets both.
func (s *Service) SaveAppSettings(ctx context.Context, clientID, clientSecret string) (*AppSettings, error) {
	if s.envActive() {
		return nil, apperr.New(apperr.KindConflict, "hubspot_app_from_env",
			"The HubSpot client ID and secret come from the environment ("+config.EnvName("hubspot-client-id")+", "+
				config.EnvName("hubspot-client-secret")+") and win over this form. Change them there, or unset them to manage them here.")
	}
	if err := s.store.SaveAppCredentials(ctx, clientID, clientSecret); err != nil {
		return nil, err
	}
	s.log.Info("hubspot: app credentials saved")
	return s.AppSettings(ctx)
}
