// Package openaiapi translates between OpenAI's chat-completions wire format
// and windrose's neutral llm types: it decodes client requests, encodes
// answers, stream chunks and error envelopes for clients, and encodes
// requests for OpenAI-compatible upstreams.
//
// Everything here sits on the hot path. Decoding parses with a pooled
// fastjson parser and walks its tree into llm types, reading kept leaves
// with the strict scanner of scan.go (see walk.go); encoding is
// append-style into caller-owned buffers with no reflection, so a stream
// chunk costs no allocation once the caller's buffer has grown.
package openaiapi

// decoder is the scanner with the typed readers of values.go, for Reader.
type decoder struct {
	scanner
}

// document validates that src is exactly one JSON value.
func (s *scanner) document() error {
	if _, _, err := s.skip(0); err != nil {
		return err
	}
	if s.ws() != 0 {
		return s.fail("unexpected data after the JSON value")
	}
	return nil
}
