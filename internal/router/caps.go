package router

import (
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// reasonCapability skips a deployment that lacks what the request needs.
const reasonCapability = "capability"

// capable checks that some deployment of m (the pinned one, when pinned)
// has every capability in need: a request none can serve is a 400 naming
// the parameter, never a 200 with the feature silently dropped. Route then
// skips the deployments that lack it.
func capable(m *Model, need llm.Capability, pin string) error {
	var missing llm.Capability
	for i := range m.Deployments {
		d := &m.Deployments[i]
		has := d.Caps&need == need
		if pin != "" && d.Name == pin {
			if !has {
				return capError(m, need&^d.Caps, "deployment "+quote(pin)+" cannot serve it")
			}
			return nil
		}
		if has && pin == "" {
			return nil
		}
		missing |= need &^ d.Caps
	}
	if pin != "" {
		return nil // an unknown pin is routePin's 400
	}
	return capError(m, missing, "no deployment of model "+quote(m.Name)+" supports it")
}

func capError(m *Model, missing llm.Capability, why string) error {
	p := missing.Param()
	return &gwerr.Error{Kind: gwerr.InvalidRequest, Param: p, Code: "unsupported_parameter",
		Message: "parameter " + quote(p) + " is not supported for model " + quote(m.Name) + ": " + why}
}
