package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// The Converse request body (the members of ConverseRequest that travel in
// the body; modelId is in the path). Unknown members are rejected.
type converseRequest struct {
	Messages                          []message         `json:"messages"`
	System                            []systemBlock     `json:"system"`
	InferenceConfig                   *inferenceConfig  `json:"inferenceConfig"`
	ToolConfig                        *toolConfig       `json:"toolConfig"`
	OutputConfig                      *outputConfig     `json:"outputConfig"`
	GuardrailConfig                   json.RawMessage   `json:"guardrailConfig"`
	AdditionalModelRequestFields      json.RawMessage   `json:"additionalModelRequestFields"`
	AdditionalModelResponseFieldPaths []string          `json:"additionalModelResponseFieldPaths"`
	PromptVariables                   json.RawMessage   `json:"promptVariables"`
	RequestMetadata                   map[string]string `json:"requestMetadata"`
	PerformanceConfig                 json.RawMessage   `json:"performanceConfig"`
	ServiceTier                       json.RawMessage   `json:"serviceTier"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

// contentBlock is a union: exactly one member is set.
type contentBlock struct {
	Text             *string         `json:"text"`
	Image            *imageBlock     `json:"image"`
	ToolUse          *toolUse        `json:"toolUse"`
	ToolResult       *toolResult     `json:"toolResult"`
	Document         json.RawMessage `json:"document"`
	Video            json.RawMessage `json:"video"`
	Audio            json.RawMessage `json:"audio"`
	GuardContent     json.RawMessage `json:"guardContent"`
	CachePoint       json.RawMessage `json:"cachePoint"`
	ReasoningContent json.RawMessage `json:"reasoningContent"`
	CitationsContent json.RawMessage `json:"citationsContent"`
	SearchResult     json.RawMessage `json:"searchResult"`
}

type imageBlock struct {
	Format string `json:"format"`
	Source struct {
		Bytes      []byte          `json:"bytes"`
		S3Location json.RawMessage `json:"s3Location"`
	} `json:"source"`
}

type toolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	Type      string          `json:"type"`
}

type toolResult struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []toolResultContent `json:"content"`
	Status    string              `json:"status"`
	Type      string              `json:"type"`
}

type toolResultContent struct {
	Text     *string         `json:"text"`
	JSON     json.RawMessage `json:"json"`
	Image    json.RawMessage `json:"image"`
	Document json.RawMessage `json:"document"`
	Video    json.RawMessage `json:"video"`
}

type systemBlock struct {
	Text         *string         `json:"text"`
	GuardContent json.RawMessage `json:"guardContent"`
	CachePoint   json.RawMessage `json:"cachePoint"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens"`
	Temperature   *float64 `json:"temperature"`
	TopP          *float64 `json:"topP"`
	StopSequences []string `json:"stopSequences"`
}

type toolConfig struct {
	Tools      []tool      `json:"tools"`
	ToolChoice *toolChoice `json:"toolChoice"`
}

type tool struct {
	ToolSpec *struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		InputSchema struct {
			JSON json.RawMessage `json:"json"`
		} `json:"inputSchema"`
		Strict *bool `json:"strict"`
	} `json:"toolSpec"`
	CachePoint json.RawMessage `json:"cachePoint"`
}

type toolChoice struct {
	Auto *struct{} `json:"auto"`
	Any  *struct{} `json:"any"`
	Tool *struct {
		Name string `json:"name"`
	} `json:"tool"`
}

type outputConfig struct {
	TextFormat *struct {
		Type      string `json:"type"`
		Structure struct {
			JSONSchema *struct {
				Schema      string `json:"schema"`
				Name        string `json:"name"`
				Description string `json:"description"`
			} `json:"jsonSchema"`
		} `json:"structure"`
	} `json:"textFormat"`
	Effort string `json:"effort"`
}

// request is a validated Converse request, as the fake model sees it.
type request struct {
	conv emukit.Conversation
}

// toolUseIDPattern is ToolUseId's documented pattern (1 to 64 characters).
var toolUseIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// decode parses and validates a Converse body as Bedrock does; a non-empty
// string is the ValidationException message.
func decode(body []byte) (*request, string) {
	var cr converseRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cr); err != nil {
		return nil, "Malformed input request: " + jsonProblem(err) + ", please reformat your input and try again."
	}
	if dec.More() {
		return nil, "Malformed input request: trailing data after the JSON object, please reformat your input and try again."
	}
	req := &request{}
	if msg := validateInference(cr.InferenceConfig, &req.conv); msg != "" {
		return nil, msg
	}
	if msg := req.tools(cr.ToolConfig); msg != "" {
		return nil, msg
	}
	for i, sb := range cr.System {
		if sb.Text != nil {
			req.conv.Messages = append(req.conv.Messages, emukit.Message{Role: "system", Text: *sb.Text})
		} else if sb.GuardContent == nil && sb.CachePoint == nil {
			return nil, fmt.Sprintf("The SystemContentBlock at system.%d has no member set.", i)
		}
	}
	if msg := req.messages(cr.Messages, cr.ToolConfig != nil); msg != "" {
		return nil, msg
	}
	if oc := cr.OutputConfig; oc != nil && oc.TextFormat != nil {
		tf := oc.TextFormat
		if tf.Type != "json_schema" || tf.Structure.JSONSchema == nil {
			return nil, "outputConfig.textFormat: type must be json_schema with a structure.jsonSchema."
		}
		if !json.Valid([]byte(tf.Structure.JSONSchema.Schema)) {
			return nil, "outputConfig.textFormat.structure.jsonSchema.schema: the schema is not valid JSON."
		}
		req.conv.JSON = true
		req.conv.Schema = []byte(tf.Structure.JSONSchema.Schema)
	}
	return req, ""
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if ok := asType(err, &te); ok {
		return fmt.Sprintf("expected type %s at %s", te.Type, te.Field)
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field") {
		return "extraneous key " + strings.TrimPrefix(msg, "json: unknown field ") + " is not permitted"
	}
	return msg
}

func asType(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

func validateInference(ic *inferenceConfig, conv *emukit.Conversation) string {
	if ic == nil {
		return ""
	}
	if ic.MaxTokens != nil {
		if *ic.MaxTokens < 1 {
			return "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"
		}
		conv.MaxTokens = *ic.MaxTokens
	}
	if t := ic.Temperature; t != nil && (*t < 0 || *t > 1) {
		return "1 validation error detected: Value at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"
	}
	if p := ic.TopP; p != nil && (*p < 0 || *p > 1) {
		return "1 validation error detected: Value at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value less than or equal to 1"
	}
	return ""
}

func (req *request) tools(tc *toolConfig) string {
	if tc == nil {
		return ""
	}
	if len(tc.Tools) == 0 {
		return "The toolConfig field must contain at least one tool."
	}
	names := map[string]bool{}
	for i, t := range tc.Tools {
		if t.ToolSpec == nil {
			continue // a cachePoint
		}
		if t.ToolSpec.Name == "" || len(t.ToolSpec.InputSchema.JSON) == 0 {
			return fmt.Sprintf("The toolSpec at toolConfig.tools.%d needs a name and an inputSchema.json.", i)
		}
		names[t.ToolSpec.Name] = true
		req.conv.Tools = append(req.conv.Tools, emukit.Tool{Name: t.ToolSpec.Name, Description: t.ToolSpec.Description, Parameters: t.ToolSpec.InputSchema.JSON})
	}
	req.conv.ToolChoice = emukit.ChoiceAuto
	if c := tc.ToolChoice; c != nil {
		set := 0
		if c.Auto != nil {
			set++
		}
		if c.Any != nil {
			set++
			req.conv.ToolChoice = emukit.ChoiceRequired
		}
		if c.Tool != nil {
			set++
			if !names[c.Tool.Name] {
				return "The tool named in toolConfig.toolChoice.tool is not in toolConfig.tools."
			}
			req.conv.ToolName = c.Tool.Name
		}
		if set != 1 {
			return "toolConfig.toolChoice must set exactly one of auto, any and tool."
		}
	}
	return ""
}
