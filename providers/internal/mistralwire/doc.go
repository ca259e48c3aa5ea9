// Package mistralwire owns Mistral's chat wire format (PROVIDERS.md §1):
// the request translation, the 9-character tool-call id rewrite, response
// and stream decoding, finish-reason mapping and error classification. La
// Plateforme's adapter and every cloud that serves Mistral's own format
// (Vertex's Mistral container, Azure, watsonx where it applies) call it, so
// there is one copy of these rules.
package mistralwire
