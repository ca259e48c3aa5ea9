package bedrock

import (
	"fmt"
	"strings"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// Bedrock's wording for the conversation rules it enforces.
const (
	msgStartUser = "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	msgAlternate = "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
	msgNeedTools = "The toolConfig field must be defined when using toolUse and toolResult content blocks."
)

// messages validates the turns and flattens them for the fake model: a
// user turn's toolResult blocks become "tool" messages, its text a "user"
// message; an assistant turn's toolUse blocks become tool calls.
func (req *request) messages(msgs []message, haveTools bool) string {
	if len(msgs) == 0 {
		return msgStartUser
	}
	var lastUses map[string]bool // toolUse ids of the previous assistant turn
	for i, m := range msgs {
		switch {
		case m.Role != "user" && m.Role != "assistant":
			return fmt.Sprintf("1 validation error detected: Value '%s' at 'messages.%d.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]", m.Role, i+1)
		case i == 0 && m.Role != "user":
			return msgStartUser
		case i > 0 && m.Role == msgs[i-1].Role:
			return msgAlternate
		case len(m.Content) == 0:
			return fmt.Sprintf("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		var msg string
		if m.Role == "user" {
			msg = req.userTurn(i, m.Content, lastUses, haveTools)
			lastUses = nil
		} else {
			lastUses, msg = req.assistantTurn(i, m.Content, haveTools)
		}
		if msg != "" {
			return msg
		}
	}
	return ""
}

// members counts the union members a block sets.
func (b *contentBlock) members() int {
	n := 0
	for _, set := range []bool{b.Text != nil, b.Image != nil, b.ToolUse != nil, b.ToolResult != nil,
		b.Document != nil, b.Video != nil, b.Audio != nil, b.GuardContent != nil, b.CachePoint != nil,
		b.ReasoningContent != nil, b.CitationsContent != nil, b.SearchResult != nil} {
		if set {
			n++
		}
	}
	return n
}

func blockCheck(i, j int, b *contentBlock) string {
	if b.members() != 1 {
		return fmt.Sprintf("The ContentBlock at messages.%d.content.%d must set exactly one member.", i, j)
	}
	if b.Text != nil && strings.TrimSpace(*b.Text) == "" {
		return fmt.Sprintf("The text field in the ContentBlock object at messages.%d.content.%d is blank. Add text to the text field, and try again.", i, j)
	}
	if img := b.Image; img != nil {
		switch img.Format {
		case "png", "jpeg", "gif", "webp":
		default:
			return fmt.Sprintf("1 validation error detected: Value '%s' at 'messages.%d.member.content.%d.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]", img.Format, i+1, j+1)
		}
		if len(img.Source.Bytes) == 0 && img.Source.S3Location == nil {
			return fmt.Sprintf("The image at messages.%d.content.%d has no source.", i, j)
		}
	}
	return ""
}

func (req *request) userTurn(i int, blocks []contentBlock, uses map[string]bool, haveTools bool) string {
	var text []string
	for j := range blocks {
		b := &blocks[j]
		if msg := blockCheck(i, j, b); msg != "" {
			return msg
		}
		switch {
		case b.ToolUse != nil:
			return fmt.Sprintf("messages.%d.content.%d: a user message cannot contain toolUse blocks.", i, j)
		case b.ToolResult != nil:
			tr := b.ToolResult
			if !haveTools {
				return msgNeedTools
			}
			if !uses[tr.ToolUseID] {
				return fmt.Sprintf("The toolUseId %q in the toolResult at messages.%d.content.%d does not match any toolUse block of the previous assistant message.", tr.ToolUseID, i, j)
			}
			req.conv.Messages = append(req.conv.Messages, emukit.Message{Role: "tool", ToolCallID: tr.ToolUseID, Text: resultText(tr)})
		case b.Text != nil:
			text = append(text, *b.Text)
		}
	}
	if len(text) > 0 {
		req.conv.Messages = append(req.conv.Messages, emukit.Message{Role: "user", Text: strings.Join(text, "\n")})
	}
	return ""
}

func resultText(tr *toolResult) string {
	var parts []string
	for _, c := range tr.Content {
		if c.Text != nil {
			parts = append(parts, *c.Text)
		} else if c.JSON != nil {
			parts = append(parts, string(c.JSON))
		}
	}
	return strings.Join(parts, "\n")
}

func (req *request) assistantTurn(i int, blocks []contentBlock, haveTools bool) (map[string]bool, string) {
	m := emukit.Message{Role: "assistant"}
	uses := map[string]bool{}
	for j := range blocks {
		b := &blocks[j]
		if msg := blockCheck(i, j, b); msg != "" {
			return nil, msg
		}
		switch {
		case b.ToolResult != nil:
			return nil, fmt.Sprintf("messages.%d.content.%d: an assistant message cannot contain toolResult blocks.", i, j)
		case b.ToolUse != nil:
			tu := b.ToolUse
			if !haveTools {
				return nil, msgNeedTools
			}
			if !toolUseIDPattern.MatchString(tu.ToolUseID) {
				return nil, fmt.Sprintf("1 validation error detected: Value '%s' at 'messages.%d.member.content.%d.member.toolUse.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+", tu.ToolUseID, i+1, j+1)
			}
			if len(tu.Input) == 0 || tu.Input[0] != '{' {
				return nil, fmt.Sprintf("messages.%d.content.%d.toolUse.input must be a JSON object.", i, j)
			}
			uses[tu.ToolUseID] = true
			m.ToolCalls = append(m.ToolCalls, emukit.ToolCall{ID: tu.ToolUseID, Name: tu.Name, Arguments: string(tu.Input)})
		case b.Text != nil:
			m.Text += *b.Text
		}
	}
	req.conv.Messages = append(req.conv.Messages, m)
	return uses, ""
}
