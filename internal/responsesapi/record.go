package responsesapi

import (
	"github.com/windrose-gw/windrose/internal/llm"
	oa "github.com/windrose-gw/windrose/internal/openaiapi"
)

// AppendRecord appends what the store keeps for one response:
// {"response":<the response object>,"conversation":<input items>}, where the
// conversation is every turn previous_response_id continues from (stored
// history, this request's input and the answer; never the instructions).
func AppendRecord(dst, response []byte, conversation []llm.Message) []byte {
	dst = append(dst, `{"response":`...)
	dst = append(dst, response...)
	dst = append(dst, `,"conversation":`...)
	dst = AppendItems(dst, conversation)
	return append(dst, '}')
}

// DecodeRecord reads a record written by AppendRecord. The response bytes
// are a copy, safe to keep.
func DecodeRecord(b []byte) (response []byte, conversation []llm.Message, err error) {
	d := decoder{oa.NewReader(b)}
	if d.Peek() != '{' {
		return nil, nil, d.Done(oa.TypeError("an object", d.Kind()))
	}
	err = d.Object(func(key string) (err error) {
		switch key {
		case "response":
			response, err = d.OptObject()
		case "conversation":
			if d.Peek() != '[' {
				return oa.At(oa.TypeError("an array", d.Kind()), key)
			}
			conversation, err = d.items()
		default:
			err = d.Skip()
		}
		return oa.At(err, key)
	})
	if err == nil {
		err = d.End()
	}
	return response, conversation, d.Done(err)
}
