package watsonx

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// Error codes watsonx documents (PROVIDERS.md §5.7). Codes for throttling,
// capacity and server failures are the emulator's guesses: IBM documents no
// body for them.
const (
	codeTokenExpired  = "authentication_token_expired"
	codeTokenNotValid = "authentication_token_not_valid"
	codeRejected      = "authorization_rejected"
	codeValidation    = "json_validation_error"
	codeJSONType      = "json_type_error"
	codeInvalidInput  = "invalid_input_argument"
	codeModel         = "model_not_supported"
	codeQuota         = "token_quota_reached"
	codeRateLimit     = "too_many_requests"     // guess
	codeUnavailable   = "service_unavailable"   // guess
	codeServer        = "internal_server_error" // guess
	codeTimeout       = "request_timeout"       // guess
	codeContent       = "content_filtered"      // guess
)

const moreInfo = "https://cloud.ibm.com/apidocs/watsonx-ai#text-chat"

type apiError struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
}

// errorBody renders watsonx's envelope:
// {"errors":[{"code","message","more_info"}],"trace","status_code"}.
func errorBody(status int, code, msg string, seq uint64) []byte {
	b, err := json.Marshal(struct {
		Errors     []apiError `json:"errors"`
		Trace      string     `json:"trace"`
		StatusCode int        `json:"status_code"`
	}{[]apiError{{Code: code, Message: msg, MoreInfo: moreInfo}}, fmt.Sprintf("%032x", seq), status})
	if err != nil {
		return []byte(`{"errors":[{"code":"internal_server_error","message":"emulator encoding failed"}],"status_code":500}`)
	}
	return b
}

// tokenMessage is the text watsonx gives for each rejected-token code.
func tokenMessage(code string) string {
	if code == codeTokenExpired {
		return "Failed to authenticate the request due to an expired token"
	}
	return "Failed to authenticate the httpRequest due to invalid token"
}

func contextMessage(prompt, window int) string {
	return fmt.Sprintf("The number of input tokens (%d) exceeds the maximum sequence length of the model (%d tokens).", prompt, window)
}

// kindError is the status, code and message for a fault's error kind.
func (s *Server) kindError(kind string) (int, string, string) {
	model := s.opts.Models[0]
	switch kind {
	case emukit.KindContextLength:
		return http.StatusBadRequest, codeInvalidInput, contextMessage(s.opts.ContextTokens+1, s.opts.ContextTokens)
	case emukit.KindInvalidModel:
		return http.StatusNotFound, codeModel, fmt.Sprintf("Model '%s' is not supported", model)
	case emukit.KindModelRetired:
		return http.StatusNotFound, codeModel, fmt.Sprintf("Model '%s' has been withdrawn and is no longer supported", model)
	case emukit.KindRateLimit:
		return http.StatusTooManyRequests, codeRateLimit, "Rate limit exceeded, please try again later"
	case emukit.KindCapacity:
		return http.StatusServiceUnavailable, codeUnavailable, "The service is temporarily unavailable, please try again later"
	case emukit.KindContentFilter:
		return http.StatusBadRequest, codeContent, "Potentially harmful content was detected in the input"
	case emukit.KindAuth:
		return http.StatusUnauthorized, codeTokenNotValid, tokenMessage(codeTokenNotValid)
	case emukit.KindCredits:
		return http.StatusForbidden, codeQuota, "The token quota of the plan has been reached"
	case emukit.KindTimeout:
		return http.StatusGatewayTimeout, codeTimeout, "The request timed out"
	}
	return http.StatusInternalServerError, codeServer, "Internal server error"
}

// statusKind is the error kind a bare fault status implies.
func statusKind(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return emukit.KindContextLength
	case status == http.StatusUnauthorized:
		return emukit.KindAuth
	case status == http.StatusNotFound:
		return emukit.KindInvalidModel
	case status == http.StatusTooManyRequests:
		return emukit.KindRateLimit
	case status == http.StatusServiceUnavailable:
		return emukit.KindCapacity
	case status == http.StatusGatewayTimeout:
		return emukit.KindTimeout
	}
	return emukit.KindServer
}

// faultError renders the error a failing fault set asks for: the kind's
// status unless the fault names one.
func (s *Server) faultError(f *emukit.Faults, seq uint64) (int, []byte) {
	kind := f.ErrorKind
	if kind == "" {
		kind = statusKind(f.Status)
	}
	status, code, msg := s.kindError(kind)
	if f.Status != 0 {
		status = f.Status
	}
	if f.Status == http.StatusForbidden && f.ErrorKind == "" {
		code, msg = codeRejected, "Authorization rejected"
	}
	return status, errorBody(status, code, msg, seq)
}
