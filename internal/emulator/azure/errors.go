package azure

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// apiError is Azure's error envelope (PROVIDERS.md §3.5): code is a
// string, status repeats the HTTP status on the inference routes.
type apiError struct {
	Error errorInner `json:"error"`
}

type errorInner struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	Param      string `json:"param,omitempty"`
	Status     int    `json:"status,omitempty"`
	InnerError any    `json:"innererror,omitempty"`
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"error":{"code":"InternalServerError","message":"emulator encoding failed"}}`)
	}
	return b
}

func errorBody(code, msg, param string) []byte {
	return marshal(apiError{Error: errorInner{Code: code, Message: msg, Param: param}})
}

// keyError is the 401 for a missing or wrong api-key.
func keyError() []byte {
	return errorBody("401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "+
		"for an active subscription and use a correct regional API endpoint for your resource.", "")
}

// tokenError is the 401 for a bearer token that is not valid here.
func tokenError(audience, why string) []byte {
	return errorBody("401", "Unauthorized. Access token is missing, invalid, audience is incorrect ("+audience+"), or have expired.", "")
}

func deploymentNotFound() []byte {
	return errorBody("DeploymentNotFound", "The API deployment for this resource does not exist. If you created the deployment "+
		"within the last 5 minutes, please wait a moment and try again.", "")
}

func unknownModel(model string) []byte {
	return marshal(map[string]any{"error": map[string]any{"code": "unknown_model", "message": "Unknown model: " + model, "details": "Unknown model: " + model}})
}

// contextBody is the 400 for a prompt plus max_tokens over the window.
func contextBody(window, requested int) []byte {
	return marshal(apiError{Error: errorInner{Code: "context_length_exceeded", Param: "messages", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens. Please reduce the length of the messages.", window, requested)}})
}

// filterResult is Azure's content_filter_result with one category hit.
func filterResult(hit string) map[string]any {
	res := map[string]any{"jailbreak": map[string]any{"filtered": false, "detected": false}}
	for _, cat := range []string{"hate", "self_harm", "sexual", "violence"} {
		sev := "safe"
		if cat == hit {
			sev = "high"
		}
		res[cat] = map[string]any{"filtered": cat == hit, "severity": sev}
	}
	return res
}

// contentFilterBody is the 400 Azure sends when the prompt trips its
// content filter.
func contentFilterBody() []byte {
	return marshal(apiError{Error: errorInner{
		Code: "content_filter", Param: "prompt", Status: http.StatusBadRequest,
		Message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. " +
			"To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
		InnerError: map[string]any{"code": "ResponsibleAIPolicyViolation", "content_filter_result": filterResult("violence")},
	}})
}

// kindStatus is the status a fault's error kind implies when no status is set.
func kindStatus(kind string) int {
	switch kind {
	case emukit.KindAuth:
		return http.StatusUnauthorized
	case emukit.KindCredits:
		return http.StatusForbidden
	case emukit.KindModelRetired:
		return http.StatusNotFound
	case emukit.KindTimeout:
		return http.StatusRequestTimeout
	case emukit.KindRateLimit:
		return http.StatusTooManyRequests
	case emukit.KindCapacity:
		return http.StatusServiceUnavailable
	case emukit.KindServer:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// statusKind is the error kind a bare status implies.
func statusKind(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return emukit.KindAuth
	case http.StatusForbidden:
		return emukit.KindCredits
	case http.StatusNotFound:
		return emukit.KindModelRetired
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

// failFault answers with the error a failing fault set asks for. A 429
// carries Azure's wait headers: retry-after (seconds), retry-after-ms and
// the x-ratelimit-* pair of the exhausted request limit.
func (s *Server) failFault(w http.ResponseWriter, f *emukit.Faults) {
	status, kind := f.Status, f.ErrorKind
	if status == 0 {
		status = kindStatus(kind)
	}
	if kind == "" {
		kind = statusKind(status)
	}
	if status == http.StatusTooManyRequests {
		h := w.Header()
		h.Set("x-ratelimit-limit-requests", "60")
		h.Set("x-ratelimit-remaining-requests", "0")
		h.Set("x-ratelimit-remaining-tokens", "1200")
		if f.RetryAfter > 0 {
			h.Set("retry-after-ms", strconv.Itoa(f.RetryAfter*1000))
			h.Set("x-ratelimit-reset-requests", strconv.Itoa(f.RetryAfter))
		}
	}
	s.ctl.Fail(w, status, s.faultBody(status, kind, f.RetryAfter), f.RetryAfter)
}

func (s *Server) faultBody(status int, kind string, retryAfter int) []byte {
	switch kind {
	case emukit.KindContextLength:
		return contextBody(s.opts.ContextTokens, s.opts.ContextTokens+1)
	case emukit.KindInvalidModel:
		return unknownModel("no-such-deployment")
	case emukit.KindModelRetired:
		return deploymentNotFound()
	case emukit.KindAuth:
		return keyError()
	case emukit.KindCredits:
		return errorBody("403", "Your Azure subscription has run out of quota for this resource.", "")
	case emukit.KindContentFilter:
		return contentFilterBody()
	case emukit.KindTimeout:
		return errorBody("Timeout", "The operation was timeout.", "")
	case emukit.KindRateLimit:
		wait := max(retryAfter, 1)
		return errorBody("429", fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", wait), "")
	case emukit.KindCapacity:
		return errorBody("ServiceUnavailable", "The service is temporarily unable to process your request. Please try again later.", "")
	case emukit.KindServer:
		return errorBody("InternalServerError", "The server had an error while processing your request. Sorry about that!", "")
	}
	msg := http.StatusText(status)
	if msg == "" {
		msg = fmt.Sprintf("Error %d", status)
	}
	return errorBody(strconv.Itoa(status), msg, "")
}
