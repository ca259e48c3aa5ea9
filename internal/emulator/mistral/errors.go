package mistral

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// apiError is Mistral's error envelope (PROVIDERS.md §1.5). Message is a
// string, or {"detail":[…]} for a 422.
type apiError struct {
	Object        string  `json:"object"`
	Message       any     `json:"message"`
	Type          string  `json:"type"`
	Param         *string `json:"param"`
	Code          *string `json:"code"`
	RawStatusCode int     `json:"raw_status_code,omitempty"`
}

func codePtr(s string) *string { return &s }

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"object":"error","message":"emulator encoding failed","type":"internal_server_error","param":null,"code":null}`)
	}
	return b
}

// validationBody is the 422 pydantic body.
func validationBody(details []detail) []byte {
	return marshal(apiError{Object: "error", Message: map[string]any{"detail": details}, Type: "invalid_request_message_error"})
}

// contextBody is the 400 for a prompt over the context window.
func contextBody(prompt, window int) []byte {
	msg := fmt.Sprintf("Prompt contains %d tokens and 0 draft tokens, too large for model with %d maximum context length", prompt, window)
	return marshal(apiError{Object: "error", Message: msg, Type: "invalid_request_message_error"})
}

// invalidModelBody is the 400 for an unknown or retired model id.
func invalidModelBody(model string) []byte {
	return marshal(apiError{Object: "error", Message: "Invalid model: " + model, Type: "invalid_model", Code: codePtr("1500")})
}

// retiredBody is the 404 for a model id Mistral has retired (its
// model-lifecycle page: "a retired model returns 404"). The body is the
// emulator's reading of that page in Mistral's common envelope, not a
// capture.
func retiredBody(model string) []byte {
	return marshal(apiError{Object: "error", Message: "Model " + model + " has been retired and is no longer available. See https://docs.mistral.ai/getting-started/models/",
		Type: "invalid_model", Code: codePtr("1500"), RawStatusCode: http.StatusNotFound})
}

// toolCallIDBody is the 400 for a tool-call id that is not 9 alphanumerics.
func toolCallIDBody(id string) []byte {
	msg := "Tool call id was " + id + " but must be a-z, A-Z, 0-9, with a length of 9."
	return marshal(apiError{Object: "error", Message: msg, Type: "invalid_function_call", Code: codePtr("3280"), RawStatusCode: http.StatusBadRequest})
}

// prefixBody is the 400 for an assistant prefix Mistral does not accept:
// one that is not on the last message, or (refuse_prefix) any prefix, as a
// host without assistant prefill answers.
func prefixBody(msg string) []byte {
	return marshal(apiError{Object: "error", Message: msg, Type: "invalid_request_message_order", Code: codePtr("3230"), RawStatusCode: http.StatusBadRequest})
}

// unauthorizedBody is the 401 body.
func unauthorizedBody(requestID string) []byte {
	return marshal(map[string]string{"message": "Unauthorized", "request_id": requestID})
}

// kindStatus is the status a fault's error kind implies when no status is set.
func kindStatus(kind string) int {
	switch kind {
	case emukit.KindRateLimit, emukit.KindCapacity:
		return http.StatusTooManyRequests
	case emukit.KindServer:
		return http.StatusInternalServerError
	case emukit.KindAuth:
		return http.StatusUnauthorized
	case emukit.KindCredits:
		return http.StatusPaymentRequired
	case emukit.KindTimeout:
		return http.StatusGatewayTimeout
	case emukit.KindModelRetired:
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// statusKind is the error kind a bare status implies.
func statusKind(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return emukit.KindContextLength
	case status == http.StatusUnauthorized:
		return emukit.KindAuth
	case status == http.StatusTooManyRequests:
		return emukit.KindRateLimit
	case status >= 500:
		return emukit.KindServer
	}
	return ""
}

// faultError renders the error a failing fault set asks for.
func (s *Server) faultError(f *emukit.Faults, requestID, model string) (int, []byte) {
	status, kind := f.Status, f.ErrorKind
	if status == 0 {
		status = kindStatus(kind)
	}
	if kind == "" {
		kind = statusKind(status)
	}
	switch kind {
	case emukit.KindContextLength:
		return status, contextBody(s.opts.ContextTokens+1, s.opts.ContextTokens)
	case emukit.KindInvalidModel:
		return status, invalidModelBody(model)
	case emukit.KindModelRetired:
		return status, retiredBody(model)
	case emukit.KindAuth:
		return status, unauthorizedBody(requestID)
	case emukit.KindRateLimit:
		return status, marshal(apiError{Object: "error", Message: "Rate limit exceeded", Type: "rate_limited", Code: codePtr("1300"), RawStatusCode: status})
	case emukit.KindCapacity:
		return status, marshal(apiError{Object: "error", Message: "Service tier capacity exceeded for this model.", Type: "invalid_request_error"})
	}
	// Server errors, and kinds Mistral documents no body for (content
	// filter, credits, timeout): the common envelope with the status text.
	// These bodies are the emulator's guess, not a capture.
	typ := "invalid_request_error"
	if status >= 500 {
		typ = "internal_server_error"
	}
	msg := http.StatusText(status)
	if msg == "" {
		msg = "Error " + strconv.Itoa(status)
	}
	return status, marshal(apiError{Object: "error", Message: msg, Type: typ, RawStatusCode: status})
}
