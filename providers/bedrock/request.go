package bedrock

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// jsonObjectSchema is the schema json_object mode is sent with: Converse
// has no "any JSON object" switch, only structured output with a schema.
const jsonObjectSchema = `{"type":"object"}`

// encodeRequest translates req into a Converse request for model
// (PROVIDERS.md §2.4). The returned IDMap maps the tool-call ids Bedrock
// sees back to the caller's.
//
// Mapped: system and developer messages → system blocks; user, assistant
// and tool messages → alternating user/assistant turns (consecutive turns
// of one role merged, tool results as toolResult blocks in a user turn);
// tools and tool_choice → toolConfig; max_tokens, temperature, top_p, stop
// → inferenceConfig; response_format → outputConfig.textFormat (see
// outputConfig). Dropped, because Converse has no such field:
// presence/frequency penalties, seed, n, user, metadata,
// parallel_tool_calls and stream_options (usage always comes back).
func encodeRequest(req *llm.ChatRequest, model string, vision bool) (*bedrockruntime.ConverseInput, *mistralwire.IDMap, error) {
	b := builder{ids: &mistralwire.IDMap{}, vision: vision}
	for i := range req.Messages {
		if err := b.message(i, &req.Messages[i]); err != nil {
			return nil, nil, err
		}
	}
	if len(b.msgs) == 0 {
		return nil, nil, invalid("messages", "Bedrock needs at least one user or assistant message with content")
	}
	in := &bedrockruntime.ConverseInput{
		ModelId:         aws.String(model),
		Messages:        b.msgs,
		System:          b.system,
		InferenceConfig: inferenceConfig(req),
	}
	tc, err := toolConfig(req, b.toolNames)
	if err != nil {
		return nil, nil, err
	}
	in.ToolConfig = tc
	in.OutputConfig = outputConfig(req.ResponseFormat)
	return in, b.ids, nil
}

// builder accumulates Converse turns.
type builder struct {
	msgs      []types.Message
	system    []types.SystemContentBlock
	ids       *mistralwire.IDMap
	vision    bool
	toolNames []string // tools used in the history, in order of first use
}

// add appends blocks as a turn of role, merging with the previous turn of
// the same role: Converse requires user and assistant to alternate.
func (b *builder) add(role types.ConversationRole, blocks ...types.ContentBlock) {
	if len(blocks) == 0 {
		return
	}
	if n := len(b.msgs); n > 0 && b.msgs[n-1].Role == role {
		b.msgs[n-1].Content = append(b.msgs[n-1].Content, blocks...)
		return
	}
	b.msgs = append(b.msgs, types.Message{Role: role, Content: blocks})
}

func (b *builder) message(i int, m *llm.Message) error {
	switch m.Role {
	case llm.RoleSystem, llm.RoleDeveloper:
		text, err := textOnly(i, m)
		if err != nil {
			return err
		}
		if text != "" {
			b.system = append(b.system, &types.SystemContentBlockMemberText{Value: text})
		}
	case llm.RoleUser:
		blocks, err := b.userBlocks(i, m)
		if err != nil {
			return err
		}
		b.add(types.ConversationRoleUser, blocks...)
	case llm.RoleAssistant:
		blocks, err := b.assistantBlocks(i, m)
		if err != nil {
			return err
		}
		b.add(types.ConversationRoleAssistant, blocks...)
	case llm.RoleTool:
		text, err := textOnly(i, m)
		if err != nil {
			return err
		}
		if text == "" {
			text = "(empty)" // Converse rejects a blank text block
		}
		b.noteTool(m.Name)
		b.add(types.ConversationRoleUser, &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
			ToolUseId: aws.String(b.ids.Rewrite(m.ToolCallID)),
			Content:   []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: text}},
		}})
	default:
		return invalid(param(i, "role"), "unsupported role "+string(m.Role))
	}
	return nil
}

func (b *builder) userBlocks(i int, m *llm.Message) ([]types.ContentBlock, error) {
	var blocks []types.ContentBlock
	if m.Content != "" {
		blocks = append(blocks, &types.ContentBlockMemberText{Value: m.Content})
	}
	for j, p := range m.Parts {
		switch p.Type {
		case llm.PartText:
			if p.Text != "" {
				blocks = append(blocks, &types.ContentBlockMemberText{Value: p.Text})
			}
		case llm.PartImageURL:
			img, err := b.image(i, j, p.ImageURL)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, img)
		}
	}
	return blocks, nil
}

func (b *builder) assistantBlocks(i int, m *llm.Message) ([]types.ContentBlock, error) {
	var blocks []types.ContentBlock
	text, err := textOnly(i, m)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) != "" {
		blocks = append(blocks, &types.ContentBlockMemberText{Value: text})
	}
	for j, tc := range m.ToolCalls {
		input, err := argumentsDocument(tc.Arguments)
		if err != nil {
			return nil, invalid(param(i, "tool_calls[")+itoa(j)+"].function.arguments", "not valid JSON")
		}
		b.noteTool(tc.Name)
		blocks = append(blocks, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
			ToolUseId: aws.String(b.ids.Rewrite(tc.ID)),
			Name:      aws.String(tc.Name),
			Input:     input,
		}})
	}
	return blocks, nil
}

func (b *builder) noteTool(name string) {
	if name == "" {
		return
	}
	for _, n := range b.toolNames {
		if n == name {
			return
		}
	}
	b.toolNames = append(b.toolNames, name)
}

// image turns a data: URL into an image block. Converse takes image bytes
// (or S3 locations), never a URL it would fetch itself.
func (b *builder) image(i, j int, u string) (types.ContentBlock, error) {
	at := param(i, "content[") + itoa(j) + "].image_url"
	if !b.vision {
		return nil, invalid(at, "this Bedrock deployment's model does not accept images (set options.vision if it does)")
	}
	meta, data, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !strings.HasPrefix(u, "data:") || !ok || !strings.HasSuffix(meta, ";base64") {
		return nil, invalid(at, "Bedrock accepts images only as base64 data: URLs")
	}
	var format types.ImageFormat
	switch strings.TrimSuffix(meta, ";base64") {
	case "image/png":
		format = types.ImageFormatPng
	case "image/jpeg", "image/jpg":
		format = types.ImageFormatJpeg
	case "image/gif":
		format = types.ImageFormatGif
	case "image/webp":
		format = types.ImageFormatWebp
	default:
		return nil, invalid(at, "Bedrock accepts png, jpeg, gif and webp images")
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, invalid(at, "the data: URL is not valid base64")
	}
	return &types.ContentBlockMemberImage{Value: types.ImageBlock{Format: format, Source: &types.ImageSourceMemberBytes{Value: raw}}}, nil
}

// textOnly returns a message's text; image parts are only allowed in user
// messages.
func textOnly(i int, m *llm.Message) (string, error) {
	if len(m.Parts) == 0 {
		return m.Content, nil
	}
	var sb strings.Builder
	sb.WriteString(m.Content)
	for j, p := range m.Parts {
		if p.Type != llm.PartText {
			return "", invalid(param(i, "content[")+itoa(j)+"]", "only text parts are allowed in a "+string(m.Role)+" message")
		}
		sb.WriteString(p.Text)
	}
	return sb.String(), nil
}

// argumentsDocument turns a tool call's JSON arguments into the document
// Converse wants; empty arguments are an empty object.
func argumentsDocument(args string) (document.Interface, error) {
	var v any = map[string]any{}
	if strings.TrimSpace(args) != "" {
		if err := json.Unmarshal([]byte(args), &v); err != nil {
			return nil, err
		}
	}
	return document.NewLazyDocument(v), nil
}

func inferenceConfig(req *llm.ChatRequest) *types.InferenceConfiguration {
	if req.MaxTokens == nil && req.Temperature == nil && req.TopP == nil && len(req.Stop) == 0 {
		return nil
	}
	ic := &types.InferenceConfiguration{StopSequences: req.Stop}
	if req.MaxTokens != nil {
		ic.MaxTokens = aws.Int32(int32(min(*req.MaxTokens, 1<<31-1)))
	}
	if req.Temperature != nil {
		ic.Temperature = aws.Float32(float32(*req.Temperature))
	}
	if req.TopP != nil {
		ic.TopP = aws.Float32(float32(*req.TopP))
	}
	return ic
}

// toolConfig maps tools and tool_choice. Converse has no "none" choice:
// tool_choice none omits toolConfig, except when the history holds tool
// blocks, which Converse only accepts next to a toolConfig; then the tools
// go without a choice (the model's own decision, the closest to none).
// History tools the request no longer declares get a permissive stub spec
// for the same reason.
func toolConfig(req *llm.ChatRequest, used []string) (*types.ToolConfiguration, error) {
	none := req.ToolChoice != nil && req.ToolChoice.Mode == llm.ToolChoiceNone
	if len(used) == 0 && (len(req.Tools) == 0 || none) {
		return nil, nil
	}
	tc := &types.ToolConfiguration{}
	declared := map[string]bool{}
	for i, t := range req.Tools {
		var schema any = map[string]any{"type": "object", "properties": map[string]any{}}
		if len(t.Parameters) > 0 {
			if err := json.Unmarshal(t.Parameters, &schema); err != nil {
				return nil, invalid("tools["+itoa(i)+"].function.parameters", "not valid JSON")
			}
		}
		spec := types.ToolSpecification{Name: aws.String(t.Name), InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(schema)}}
		if t.Description != "" {
			spec.Description = aws.String(t.Description)
		}
		declared[t.Name] = true
		tc.Tools = append(tc.Tools, &types.ToolMemberToolSpec{Value: spec})
	}
	for _, name := range used {
		if !declared[name] {
			tc.Tools = append(tc.Tools, &types.ToolMemberToolSpec{Value: types.ToolSpecification{Name: aws.String(name),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})}}})
		}
	}
	if req.ToolChoice != nil && !none {
		switch req.ToolChoice.Mode {
		case llm.ToolChoiceAuto:
			tc.ToolChoice = &types.ToolChoiceMemberAuto{}
		case llm.ToolChoiceRequired:
			tc.ToolChoice = &types.ToolChoiceMemberAny{}
		case llm.ToolChoiceFunction:
			if !declared[req.ToolChoice.Name] {
				return nil, invalid("tool_choice", "names a tool that is not in tools")
			}
			tc.ToolChoice = &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String(req.ToolChoice.Name)}}
		}
	}
	return tc, nil
}

// outputConfig maps response_format to Converse structured output
// (outputConfig.textFormat, type json_schema). Bedrock enforces the schema
// on models that support structured output and rejects the request with a
// ValidationException on models that do not. json_object is sent as the
// schema {"type":"object"}: the answer is then a JSON object, but nothing
// about its members is enforced. strict has no Converse equivalent.
func outputConfig(rf *llm.ResponseFormat) *types.OutputConfig {
	if rf == nil || (rf.Type != llm.FormatJSONSchema && rf.Type != llm.FormatJSONObject) {
		return nil
	}
	def := types.JsonSchemaDefinition{Schema: aws.String(jsonObjectSchema), Name: aws.String("json_object")}
	if rf.Type == llm.FormatJSONSchema {
		def.Name = aws.String(rf.Name)
		if len(rf.Schema) > 0 {
			def.Schema = aws.String(string(rf.Schema))
		}
		if rf.Description != "" {
			def.Description = aws.String(rf.Description)
		}
		if rf.Name == "" {
			def.Name = aws.String("response")
		}
	}
	return &types.OutputConfig{TextFormat: &types.OutputFormat{Type: types.OutputFormatTypeJsonSchema,
		Structure: &types.OutputFormatStructureMemberJsonSchema{Value: def}}}
}

func invalid(param, msg string) *gwerr.Error {
	return &gwerr.Error{Kind: gwerr.InvalidRequest, Param: param, Message: param + ": " + msg}
}

func param(i int, field string) string { return "messages[" + itoa(i) + "]." + field }

func itoa(i int) string { return strconv.Itoa(i) }
