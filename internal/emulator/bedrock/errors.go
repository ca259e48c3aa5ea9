package bedrock

import (
	"encoding/json"
	"net/http"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// Bedrock names an error in the X-Amzn-ErrorType header (the part before
// ':'), and the JSON body carries only the message (PROVIDERS.md §2.8).
const errorTypeSuffix = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

func setErrorType(w http.ResponseWriter, code string) {
	w.Header().Set("X-Amzn-Errortype", code+errorTypeSuffix)
}

func errorBody(msg string) []byte {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return b
}

// writeError answers an error outside the counted API routes.
func writeError(w http.ResponseWriter, status int, code, msg, requestID string) {
	w.Header().Set("X-Amzn-Requestid", requestID)
	setErrorType(w, code)
	if msg == "" {
		msg = http.StatusText(status)
	}
	emukit.WriteJSON(w, status, errorBody(msg))
}

// Messages Bedrock sends with each exception (captures and AWS's docs;
// model_retired's wording is from third-party reports).
const (
	msgThrottling   = "Too many requests, please wait before trying again."
	msgUnavailable  = "Bedrock is unable to process your request."
	msgInternal     = "The server encountered an internal error while processing the request."
	msgTimeout      = "Model has timed out in processing the request. Try your request again."
	msgContext      = "Input is too long for requested model."
	msgInvalidModel = "The provided model identifier is invalid."
	msgRetired      = "This model version has reached the end of its life. Please refer to the AWS documentation for more details."
	msgBadToken     = "The security token included in the request is invalid."
	msgAccess       = "You don't have access to the model with the specified model ID."
	msgModelError   = "The model encountered an error processing the request."
	msgStreamError  = "The model stream encountered an error: a connection to the model was lost."
)

// faultError is the status, exception and message a failing fault set asks
// for: error_kind first, then the bare status.
func faultError(f *emukit.Faults) (int, string, string) {
	status, code, msg := 0, "", ""
	switch f.ErrorKind {
	case emukit.KindRateLimit:
		status, code, msg = 429, "ThrottlingException", msgThrottling
	case emukit.KindCapacity:
		status, code, msg = 503, "ServiceUnavailableException", msgUnavailable
	case emukit.KindServer:
		status, code, msg = 500, "InternalServerException", msgInternal
	case emukit.KindTimeout:
		status, code, msg = 408, "ModelTimeoutException", msgTimeout
	case emukit.KindContextLength:
		status, code, msg = 400, "ValidationException", msgContext
	case emukit.KindInvalidModel:
		status, code, msg = 400, "ValidationException", msgInvalidModel
	case emukit.KindModelRetired:
		status, code, msg = 404, "ResourceNotFoundException", msgRetired
	case emukit.KindAuth:
		status, code, msg = 403, "UnrecognizedClientException", msgBadToken
	case emukit.KindCredits:
		status, code, msg = 403, "AccessDeniedException", msgAccess
	}
	if f.Status != 0 {
		if code == "" {
			code, msg = statusError(f.Status)
		}
		status = f.Status
	}
	return status, code, msg
}

// statusError is the exception a bare status stands for.
func statusError(status int) (string, string) {
	switch {
	case status == 400:
		return "ValidationException", "1 validation error detected: the request is not valid."
	case status == 401, status == 403:
		return "UnrecognizedClientException", msgBadToken
	case status == 404:
		return "ResourceNotFoundException", "The requested resource could not be found."
	case status == 408:
		return "ModelTimeoutException", msgTimeout
	case status == 424:
		return "ModelErrorException", msgModelError
	case status == 429:
		return "ThrottlingException", msgThrottling
	case status == 503:
		return "ServiceUnavailableException", msgUnavailable
	case status >= 500:
		return "InternalServerException", msgInternal
	}
	return "ValidationException", http.StatusText(status)
}

// exception is the in-stream exception frame (its :exception-type and
// payload) for an in_band_error_after fault; error_kind picks the member.
func exception(kind string) (string, []byte) {
	switch kind {
	case emukit.KindRateLimit:
		return "throttlingException", errorBody(msgThrottling)
	case emukit.KindCapacity:
		return "serviceUnavailableException", errorBody(msgUnavailable)
	case emukit.KindServer:
		return "internalServerException", errorBody(msgInternal)
	case emukit.KindContextLength, emukit.KindInvalidModel:
		return "validationException", errorBody(msgContext)
	}
	b, _ := json.Marshal(map[string]any{"message": msgStreamError, "originalStatusCode": 500, "originalMessage": "upstream model failure"})
	return "modelStreamErrorException", b
}
