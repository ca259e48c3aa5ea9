package openrouter

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// apiError is OpenRouter's error envelope (PROVIDERS.md §6.4): the HTTP
// status always equals error.code.
type apiError struct {
	Error errorInner `json:"error"`
}

type errorInner struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	Metadata any    `json:"metadata,omitempty"`
}

func errorBody(code int, msg string, metadata any) []byte {
	b, err := json.Marshal(apiError{Error: errorInner{Code: code, Message: msg, Metadata: metadata}})
	if err != nil {
		return []byte(`{"error":{"code":500,"message":"emulator encoding failed"}}`)
	}
	return b
}

// contextBody is the 400 for a request over the context window.
func contextBody(window, input, output int) []byte {
	msg := fmt.Sprintf("This endpoint's maximum context length is %d tokens. However, you requested about %d tokens "+
		"(%d of text input, %d in the output). Please reduce the length of either one, or use the \"middle-out\" "+
		"transform to compress your prompt automatically.", window, input+output, input, output)
	return errorBody(http.StatusBadRequest, msg, map[string]any{"provider_name": nil})
}

// kindStatus is the status a fault's error kind implies when no status is set.
func kindStatus(kind string) int {
	switch kind {
	case emukit.KindAuth:
		return http.StatusUnauthorized
	case emukit.KindCredits:
		return http.StatusPaymentRequired
	case emukit.KindContentFilter:
		return http.StatusForbidden
	case emukit.KindTimeout:
		return http.StatusRequestTimeout
	case emukit.KindRateLimit:
		return http.StatusTooManyRequests
	case emukit.KindCapacity:
		return http.StatusServiceUnavailable
	case emukit.KindServer:
		return http.StatusBadGateway
	case emukit.KindModelRetired:
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// statusKind is the error kind a bare status implies.
func statusKind(status int) string {
	switch status {
	case http.StatusBadRequest:
		return emukit.KindContextLength
	case http.StatusUnauthorized:
		return emukit.KindAuth
	case http.StatusPaymentRequired:
		return emukit.KindCredits
	case http.StatusForbidden:
		return emukit.KindContentFilter
	case http.StatusRequestTimeout:
		return emukit.KindTimeout
	case http.StatusTooManyRequests:
		return emukit.KindRateLimit
	case http.StatusServiceUnavailable:
		return emukit.KindCapacity
	}
	if status >= 500 {
		return emukit.KindServer
	}
	return ""
}

// faultError renders the error a failing fault set asks for.
func (s *Server) faultError(f *emukit.Faults) (int, []byte) {
	status, kind := f.Status, f.ErrorKind
	if status == 0 {
		status = kindStatus(kind)
	}
	if kind == "" {
		kind = statusKind(status)
	}
	model := s.opts.Models[0]
	switch kind {
	case emukit.KindContextLength:
		return status, contextBody(s.opts.ContextTokens, s.opts.ContextTokens+1, 0)
	case emukit.KindInvalidModel:
		return status, errorBody(status, model+" is not a valid model ID", nil)
	case emukit.KindModelRetired:
		// A slug OpenRouter delisted, or one no provider currently serves
		// (the emulator's reading of §6.4; not a capture).
		return status, errorBody(status, "No endpoints found for "+model+".", nil)
	case emukit.KindAuth:
		return status, errorBody(status, "User not found.", nil)
	case emukit.KindCredits:
		return status, errorBody(status, "Insufficient credits. Add more using https://openrouter.ai/settings/credits", nil)
	case emukit.KindContentFilter:
		return status, errorBody(status, model+" requires moderation on Mistral. Your input was flagged for \"harassment\". No credits were charged.",
			map[string]any{"reasons": []string{"harassment"}, "flagged_input": "…", "provider_name": "Mistral", "model_slug": model})
	case emukit.KindTimeout:
		return status, errorBody(status, "Request timed out", nil)
	case emukit.KindRateLimit:
		return status, errorBody(status, "Rate limit exceeded", map[string]any{"provider_name": "Mistral",
			"raw": `{"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300"}`})
	case emukit.KindCapacity:
		return status, errorBody(status, "No allowed providers are available for the selected model.", nil)
	case emukit.KindServer:
		if status == http.StatusBadGateway {
			return status, errorBody(status, "Provider returned error", map[string]any{"provider_name": "Mistral", "raw": "upstream connect error"})
		}
	}
	msg := http.StatusText(status)
	if msg == "" {
		msg = fmt.Sprintf("Error %d", status)
	}
	return status, errorBody(status, msg, nil)
}
