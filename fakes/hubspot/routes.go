package hubspotfake

import "net/http"

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	// The app.hubspot.com side: consent pages.
	s.page("GET /oauth/authorize", s.authorizePage)
	s.page("GET /oauth/{portal}/authorize", s.authorizePage)
	s.page("POST /oauth/authorize/start", s.startChoice)
	s.page("POST /oauth/authorize/account", s.chooseAccount)
	// Record pages: where the product's record links point in a demo.
	s.page("GET /contacts/{portal}/record/{typeID}/{id}", s.recordPage)
	s.page("POST /contacts/{portal}/record/{typeID}/{id}/merge", s.mergePage)
	s.page("POST /oauth/authorize/connect", s.connectDecision)
	// The api.hubapi.com side: OAuth endpoints (not rate limited).
	s.page("POST /oauth/{version}/token", s.token)
	s.page("POST /oauth/{version}/token/introspect", s.introspect)
	s.page("POST /oauth/{version}/token/revoke", s.revoke)
	s.page("POST /oauth/v2/private-apps/get/access-token-info", s.privateAppTokenInfo)
	// CRM.
	s.api("GET /account-info/{version}/details", s.accountDetails)
	s.api("GET /crm/properties/{version}/{type}", s.listProperties)
	s.api("POST /crm/properties/{version}/{type}", s.createProperty)
	s.api("GET /crm/properties/{version}/{type}/{name}", s.getProperty)
	s.api("GET /crm/pipelines/{version}/{type}", s.listPipelines)
	s.api("GET /crm/pipelines/{version}/{type}/{id}", s.getPipeline)
	s.api("GET /crm/objects/{version}/{type}", s.listObjects)
	s.api("GET /crm/objects/{version}/{type}/{id}", s.getObject)
	s.api("POST /crm/objects/{version}/{type}/batch/read", s.batchRead)
	s.api("POST /crm/objects/{version}/{type}/batch/create", s.batchCreate)
	s.api("POST /crm/objects/{version}/{type}/batch/update", s.batchUpdate)
	s.api("POST /crm/objects/{version}/{type}/batch/upsert", s.batchUpsert)
	s.api("POST /crm/objects/{version}/{type}/batch/archive", s.batchArchive)
	s.api("POST /crm/objects/{version}/{type}/merge", s.mergeObjects)
	s.api("GET /crm/objects/{version}/{type}/{id}/associations/{toType}", s.listAssociations)
	s.api("POST /crm/associations/{version}/{type}/{toType}/batch/associate/default", s.batchAssociateDefault)
	s.api("POST /crm/associations/{version}/{type}/{toType}/batch/read", s.batchReadAssociations)
	s.api("POST /crm/associations/{version}/{type}/{toType}/batch/archive", s.batchDissociate)
	// Marketing events, addressed by the creating app's external ids.
	s.api("POST /marketing/marketing-events/{version}/events/upsert", s.upsertMarketingEvents)
	s.api("GET /marketing/marketing-events/{version}/events/{externalEventId}", s.getMarketingEvent)
	s.api("POST /marketing/marketing-events/{version}/attendance/{externalEventId}/{subscriberState}/create", s.recordAttendance(false))
	s.api("POST /marketing/marketing-events/{version}/attendance/{externalEventId}/{subscriberState}/email-create", s.recordAttendance(true))
}
