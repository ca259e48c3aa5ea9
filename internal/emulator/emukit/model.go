package emukit

import (
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"unicode"
)

// Message is one turn as the fake model sees it: emulators flatten their
// provider's content shapes into Text.
type Message struct {
	Role       string
	Text       string
	ToolCalls  []ToolCall
	ToolCallID string
}

// ToolCall is a complete function call.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // JSON object text
}

// Tool is a function the model may call; Parameters is its raw JSON Schema.
type Tool struct {
	Name        string
	Description string
	Parameters  []byte
}

// Tool-choice modes understood by Respond. A named choice sets ToolName.
const (
	ChoiceAuto     = "auto"
	ChoiceNone     = "none"
	ChoiceRequired = "required" // Mistral's "any" means the same
)

// Conversation is the model's input.
type Conversation struct {
	Messages   []Message
	Tools      []Tool
	ToolChoice string // "" or ChoiceAuto, ChoiceNone, ChoiceRequired
	ToolName   string // a named tool choice: call this tool
	JSON       bool   // response_format json_object or json_schema
	Schema     []byte // json_schema's schema, if any
	MaxTokens  int    // completion limit; 0 means none
	// Prefix is the text of a final assistant message sent as a prefix
	// (Mistral's "prefix": true); HasPrefix says there was one. That
	// message is not in Messages: the answer continues Prefix.
	Prefix    string
	HasPrefix bool
	// Variant seeds the answer's wording (Faults.ReplyVariant).
	Variant string
	// N is how many alternative answers were asked for (the request's n);
	// 0 or 1 means one. See RespondN.
	N int
}

// Reply is the model's output. Content is split into chunks whose
// concatenation is the whole text; each chunk is one completion token.
type Reply struct {
	Content          []string
	ToolCalls        []ToolCall
	Finish           string // "stop", "length" or "tool_calls"
	PromptTokens     int
	CompletionTokens int
}

// Text returns the whole content.
func (r *Reply) Text() string { return strings.Join(r.Content, "") }

// Token counting rule, the same for streamed and whole answers:
//   - a token is a whitespace-separated word (Tokens);
//   - a prompt costs 3, plus 4 per message and the tokens of its text and of
//     its tool calls' names and arguments, plus 8 per tool and the tokens of
//     its name, description and raw parameters JSON;
//   - a completion costs one token per content chunk (a word), or the tokens
//     of a tool call's name and arguments.
const (
	promptOverhead  = 3
	messageOverhead = 4
	toolOverhead    = 8
	quoteWords      = 48 // longest echo of the prompt, so huge prompts give short answers
)

// Tokens counts the whitespace-separated words of s.
func Tokens(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// PromptTokens counts the prompt by the rule above.
func PromptTokens(c *Conversation) int {
	n := promptOverhead
	for i := range c.Messages {
		m := &c.Messages[i]
		n += messageOverhead + Tokens(m.Text)
		for _, tc := range m.ToolCalls {
			n += Tokens(tc.Name) + Tokens(tc.Arguments)
		}
	}
	for _, t := range c.Tools {
		n += toolOverhead + Tokens(t.Name) + Tokens(t.Description) + Tokens(string(t.Parameters))
	}
	return n
}

// Respond produces the deterministic answer to c.
//
// A tool is called when tools are given, the choice is not "none", the last
// message is the user's, and either the choice forces a call or the user's
// text names a tool. After a tool result the answer quotes it. Otherwise the
// answer is "You said: <the user's last text> — emulated reply." (in JSON
// mode a JSON object holding that text). MaxTokens cuts text answers with
// finish "length"; it does not apply to tool calls.
func Respond(c *Conversation) Reply {
	r := Reply{PromptTokens: PromptTokens(c), Finish: "stop"}
	last := Message{}
	if len(c.Messages) > 0 {
		last = c.Messages[len(c.Messages)-1]
	}
	if call, ok := chooseTool(c, &last); ok {
		r.ToolCalls = []ToolCall{call}
		r.Finish = "tool_calls"
		r.CompletionTokens = Tokens(call.Name) + Tokens(call.Arguments)
		return r
	}
	text := "You said: " + quote(lastUserText(c)) + " — emulated reply."
	if last.Role == "tool" {
		text = "The tool returned: " + quote(last.Text)
	}
	if c.Variant != "" {
		text = "[" + c.Variant + "] " + text
	}
	if c.JSON {
		text = jsonAnswer(c.Schema, text)
	}
	if c.HasPrefix {
		// The answer is fixed: a prefix of it is continued with the rest;
		// any other prefix gets a fixed tail. The prefix is not repeated.
		r.PromptTokens += Tokens(c.Prefix)
		rest, ok := strings.CutPrefix(text, c.Prefix)
		if !ok {
			rest = " — emulated continuation."
		}
		text = rest
	}
	r.Content = splitWords(text)
	if c.MaxTokens > 0 && len(r.Content) > c.MaxTokens {
		r.Content = r.Content[:c.MaxTokens]
		r.Finish = "length"
	}
	r.CompletionTokens = len(r.Content)
	return r
}

// RespondN produces the c.N alternative answers to c (at least one), as a
// provider that takes n does: choice 0 is Respond(c) and choice i is worded
// "[choice i]", so every index is deterministic and differs from the
// others. Each reply counts the whole prompt; a provider bills it once.
func RespondN(c *Conversation) []Reply {
	out := make([]Reply, max(c.N, 1))
	for i := range out {
		ci := *c
		if i > 0 {
			ci.Variant = strings.TrimSpace(c.Variant + " choice " + strconv.Itoa(i))
		}
		out[i] = Respond(&ci)
	}
	return out
}

func lastUserText(c *Conversation) string {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if c.Messages[i].Role == "user" {
			return c.Messages[i].Text
		}
	}
	return ""
}

// quote normalises whitespace and keeps at most quoteWords words.
func quote(s string) string {
	w := strings.Fields(s)
	if len(w) > quoteWords {
		w = w[:quoteWords]
	}
	if len(w) == 0 {
		return "nothing"
	}
	return strings.Join(w, " ")
}

// splitWords cuts text into word chunks, each after the first keeping its
// leading space, so the chunks concatenate back to text.
func splitWords(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' && text[i-1] != ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	return append(out, text[start:])
}

func jsonAnswer(schema []byte, text string) string {
	if len(schema) > 0 {
		var s any
		if json.Unmarshal(schema, &s) == nil {
			if b, err := json.Marshal(Example(s, text, true)); err == nil && len(b) > 0 && b[0] == '{' {
				return string(b)
			}
		}
	}
	b, _ := json.Marshal(text)
	return `{"answer": ` + string(b) + `}`
}

// chooseTool decides whether the reply is a tool call, and builds it.
func chooseTool(c *Conversation, last *Message) (ToolCall, bool) {
	if len(c.Tools) == 0 || c.ToolChoice == ChoiceNone || last.Role != "user" {
		return ToolCall{}, false
	}
	lower := strings.ToLower(last.Text)
	var tool *Tool
	for i := range c.Tools {
		t := &c.Tools[i]
		if (c.ToolName != "" && t.Name == c.ToolName) ||
			(c.ToolName == "" && t.Name != "" && strings.Contains(lower, strings.ToLower(t.Name))) {
			tool = t
			break
		}
	}
	if tool == nil && c.ToolName == "" && c.ToolChoice == ChoiceRequired {
		tool = &c.Tools[0]
	}
	if tool == nil {
		return ToolCall{}, false
	}
	var schema any
	_ = json.Unmarshal(tool.Parameters, &schema) // a bad schema just yields {}
	args, err := json.Marshal(Example(schema, lastWord(last.Text), false))
	if err != nil || len(args) == 0 || args[0] != '{' {
		args = []byte("{}")
	}
	return ToolCall{ID: ToolCallID(last.Text, tool.Name, len(c.Messages)), Name: tool.Name, Arguments: string(args)}, true
}

// lastWord is the value given to string arguments: the prompt's last word
// without punctuation ("weather in Paris?" → "Paris").
func lastWord(s string) string {
	w := strings.Fields(s)
	for i := len(w) - 1; i >= 0; i-- {
		if t := strings.TrimFunc(w[i], func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }); t != "" {
			return t
		}
	}
	return "emulator"
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// ToolCallID derives a 9-character [a-zA-Z0-9] id from parts, the only shape
// Mistral backends accept, and stable for the same conversation.
func ToolCallID(text, name string, turn int) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(name))
	_, _ = h.Write([]byte{byte(turn), byte(turn >> 8)})
	v := h.Sum64()
	var id [9]byte
	for i := range id {
		id[i] = alnum[v%uint64(len(alnum))]
		v /= uint64(len(alnum))
	}
	return string(id[:])
}
