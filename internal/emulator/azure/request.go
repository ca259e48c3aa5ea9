package azure

import (
	"net/http"
	"sort"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// schemaFields are the body fields of Azure's chat-completions schema
// (@azure-rest/ai-inference GetChatCompletionsBodyParam). Anything else is
// an "extra parameter", handled as the extra-parameters header says.
var schemaFields = map[string]bool{
	"messages": true, "model": true, "frequency_penalty": true, "presence_penalty": true, "stream": true,
	"temperature": true, "top_p": true, "max_tokens": true, "response_format": true, "stop": true,
	"tools": true, "tool_choice": true, "seed": true,
}

// mistralExtras are the extra fields the Mistral model behind the
// deployment accepts when they are passed through.
var mistralExtras = map[string]bool{
	"safe_prompt": true, "random_seed": true, "prediction": true, "prompt_mode": true,
	"parallel_tool_calls": true, "n": true,
}

// request is a validated chat request.
type request struct {
	stream bool
	filter bool // the prompt asks for an output-filtered answer
	conv   emukit.Conversation
}

// filterTrigger in a prompt makes the answer content-filtered.
const filterTrigger = "emulator:filter"

// decode validates the parsed body against Azure's schema and the
// extra-parameters mode, and builds the request. On failure it returns the
// status and Azure's error body.
func decode(v *fastjson.Value, extraMode string) (*request, int, []byte) {
	obj, err := v.Object()
	if err != nil {
		return nil, http.StatusBadRequest, errorBody("BadRequest", "Request body must be a JSON object", "")
	}
	switch extraMode {
	case "", "error", "drop", "pass-through":
	default:
		return nil, http.StatusBadRequest, errorBody("BadRequest", "Invalid value for header extra-parameters: "+extraMode+
			". Allowed values are error, drop and pass-through.", "")
	}
	var extra, rejected []string
	obj.Visit(func(k []byte, _ *fastjson.Value) {
		if !schemaFields[string(k)] {
			extra = append(extra, string(k))
		}
	})
	sort.Strings(extra)
	switch extraMode {
	case "", "error":
		if len(extra) > 0 {
			return nil, http.StatusUnprocessableEntity, errorBody("Invalid input", "Extra parameters ['"+strings.Join(extra, "', '")+
				"'] are not allowed when extra-parameters is not set or set to be 'error'. Set extra-parameters to 'pass-through' to pass to the model.", "")
		}
	case "pass-through":
		for _, k := range extra {
			if !mistralExtras[k] {
				rejected = append(rejected, k)
			}
		}
		if len(rejected) > 0 {
			return nil, http.StatusUnprocessableEntity, errorBody("Invalid input", "body."+rejected[0]+": Extra inputs are not permitted", rejected[0])
		}
	}
	r := &request{stream: v.GetBool("stream")}
	msgs := v.GetArray("messages")
	if len(msgs) == 0 {
		return nil, http.StatusBadRequest, errorBody("BadRequest", "Missing required parameter: messages", "messages")
	}
	for _, m := range msgs {
		msg, bad := message(m)
		if bad != "" {
			return nil, http.StatusBadRequest, errorBody("Invalid input", bad, "messages")
		}
		r.filter = r.filter || strings.Contains(msg.Text, filterTrigger)
		r.conv.Messages = append(r.conv.Messages, msg)
	}
	r.conv.MaxTokens = max(v.GetInt("max_tokens"), 0)
	readTools(v, &r.conv)
	switch string(v.GetStringBytes("response_format", "type")) {
	case "json_object":
		r.conv.JSON = true
	case "json_schema":
		r.conv.JSON = true
		if s := v.Get("response_format", "json_schema", "schema"); s != nil {
			r.conv.Schema = s.MarshalTo(nil)
		}
	}
	return r, 0, nil
}

// message reads one message. The Mistral model behind Azure rejects tool-call
// ids that are not 9 alphanumerics, with Mistral's own message.
func message(m *fastjson.Value) (emukit.Message, string) {
	msg := emukit.Message{Role: string(m.GetStringBytes("role")), ToolCallID: string(m.GetStringBytes("tool_call_id"))}
	switch msg.Role {
	case "system", "user", "assistant", "tool":
	case "developer":
		msg.Role = "system"
	default:
		return msg, "Invalid role: " + msg.Role
	}
	switch c := m.Get("content"); {
	case c == nil || c.Type() == fastjson.TypeNull:
	case c.Type() == fastjson.TypeString:
		msg.Text = string(c.GetStringBytes())
	case c.Type() == fastjson.TypeArray:
		var text []byte
		for _, part := range c.GetArray() {
			if string(part.GetStringBytes("type")) == "text" {
				if len(text) > 0 {
					text = append(text, ' ')
				}
				text = append(text, part.GetStringBytes("text")...)
			}
		}
		msg.Text = string(text)
	}
	for _, tc := range m.GetArray("tool_calls") {
		msg.ToolCalls = append(msg.ToolCalls, emukit.ToolCall{ID: string(tc.GetStringBytes("id")),
			Name: string(tc.GetStringBytes("function", "name")), Arguments: string(tc.GetStringBytes("function", "arguments"))})
	}
	if msg.ToolCallID != "" && !validID(msg.ToolCallID) {
		return msg, "Tool call id was " + msg.ToolCallID + " but must be a-z, A-Z, 0-9, with a length of 9."
	}
	for _, tc := range msg.ToolCalls {
		if !validID(tc.ID) {
			return msg, "Tool call id was " + tc.ID + " but must be a-z, A-Z, 0-9, with a length of 9."
		}
	}
	return msg, ""
}

// validID is Mistral's tool-call id rule.
func validID(id string) bool {
	if len(id) != 9 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func readTools(v *fastjson.Value, c *emukit.Conversation) {
	for _, t := range v.GetArray("tools") {
		fn := t.Get("function")
		if fn == nil {
			continue
		}
		tool := emukit.Tool{Name: string(fn.GetStringBytes("name")), Description: string(fn.GetStringBytes("description"))}
		if p := fn.Get("parameters"); p != nil {
			tool.Parameters = p.MarshalTo(nil)
		}
		c.Tools = append(c.Tools, tool)
	}
	switch tc := v.Get("tool_choice"); {
	case tc == nil:
	case tc.Type() == fastjson.TypeObject:
		c.ToolName = string(tc.GetStringBytes("function", "name"))
	default:
		switch s := string(tc.GetStringBytes()); s {
		case "none", "auto":
			c.ToolChoice = s
		case "required":
			c.ToolChoice = emukit.ChoiceRequired
		}
	}
}
