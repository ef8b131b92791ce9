package hubspotfake

import (
	"encoding/json"
	"net/http"
)

// errorBody is HubSpot's error shape (every field optional in practice). It
// is used for whole-request errors and, without correlationId, as a 207
// batch entry.
type errorBody struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId,omitempty"`
	Category      string              `json:"category,omitempty"`
	SubCategory   string              `json:"subCategory,omitempty"`
	Context       map[string][]string `json:"context,omitempty"`
	Errors        []errorDetail       `json:"errors,omitempty"`
	Links         map[string]string   `json:"links,omitempty"`
	ErrorType     string              `json:"errorType,omitempty"`
	PolicyName    string              `json:"policyName,omitempty"`
	RequestID     string              `json:"requestId,omitempty"`
	ID            string              `json:"id,omitempty"`
}

type errorDetail struct {
	Message     string              `json:"message"`
	Code        string              `json:"code,omitempty"`
	In          string              `json:"in,omitempty"`
	SubCategory string              `json:"subCategory,omitempty"`
	Context     map[string][]string `json:"context,omitempty"`
}

// apiError is an error together with the HTTP status it has when it fails a
// whole request.
type apiError struct {
	status int
	body   errorBody
}

func newAPIError(status int, category, message string) *apiError {
	return &apiError{status: status, body: errorBody{Status: "error", Category: category, Message: message}}
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError must be called with s.mu held (it draws a correlation id).
func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	b := e.body
	b.CorrelationID = s.correlationID()
	if b.ErrorType == "RATE_LIMIT" {
		b.RequestID = s.correlationID()
	}
	s.writeJSON(w, e.status, b)
}

func notFoundError(message string) *apiError {
	return newAPIError(http.StatusNotFound, "OBJECT_NOT_FOUND", message)
}

func badRequest(message string) *apiError {
	return newAPIError(http.StatusBadRequest, "VALIDATION_ERROR", message)
}
