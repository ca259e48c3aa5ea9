package providers

import "github.com/windrose-gw/windrose/internal/llm"

// Capable is the optional interface of an adapter that declares what it
// can serve beyond llm.CapsDefault (n > 1, logprobs, logit_bias,
// prediction) or less than it. The router plans a request only over
// deployments that have what it needs.
type Capable interface {
	Capabilities() llm.Capability
}

// CapabilitiesOf returns what p declares, llm.CapsDefault when it declares
// nothing.
func CapabilitiesOf(p Provider) llm.Capability {
	if c, ok := p.(Capable); ok {
		return c.Capabilities()
	}
	return llm.CapsDefault
}
