package router

import (
	"strconv"
	"strings"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// rule is one set of allowed regions and where it came from, for errors.
type rule struct {
	allowed []string
	source  string
}

// inRegions reports whether d satisfies every rule. A rule with no entries
// allows any region; a deployment without a region or geo satisfies no
// non-empty rule (fail closed).
func inRegions(d *Deployment, rules []rule) bool {
	for _, r := range rules {
		if len(r.allowed) > 0 && !matchesAny(d, r.allowed) {
			return false
		}
	}
	return true
}

func matchesAny(d *Deployment, allowed []string) bool {
	for _, a := range allowed {
		if matches(d, a) {
			return true
		}
	}
	return false
}

// matches reports whether the region token names d's geo or its exact
// region, ignoring case and surrounding space. A blank token matches
// nothing, so a blank rule entry can never widen a rule.
func matches(d *Deployment, token string) bool {
	token = strings.TrimSpace(token)
	if token == "" {
		return false
	}
	return strings.EqualFold(token, d.Geo) || strings.EqualFold(token, d.Region)
}

// regionError explains which rules left no deployment (or, when pinned is
// set, excluded the pinned one), and names the tokens that match no
// deployment of the model at all, which usually means a typo or an unknown
// region.
func regionError(m *Model, rules []rule, pinned *Deployment) error {
	var b strings.Builder
	if pinned != nil {
		b.WriteString("deployment " + quote(pinned.Name) + " of model " + quote(m.Name) + " is not in ")
	} else {
		b.WriteString("no deployment of model " + quote(m.Name) + " is in ")
	}
	n := 0
	for _, r := range rules {
		if len(r.allowed) == 0 {
			continue
		}
		if n > 0 {
			b.WriteString(" and ")
		}
		n++
		b.WriteString("region ")
		for i, a := range r.allowed {
			if i > 0 {
				b.WriteString(" or ")
			}
			b.WriteString(quote(a))
		}
		b.WriteString(" (" + r.source + ")")
	}
	if unknown := unknownTokens(m, rules); len(unknown) > 0 {
		verb := " is"
		if len(unknown) > 1 {
			verb = " are"
		}
		b.WriteString("; " + strings.Join(unknown, ", ") + verb + " not the region or geo of any deployment of this model")
	}
	return &gwerr.Error{Kind: gwerr.Unavailable, Code: "region_unavailable", Message: b.String()}
}

// unknownTokens returns, quoted and once each, the rule entries that match
// no deployment of m.
func unknownTokens(m *Model, rules []rule) []string {
	var out, seen []string
	for _, r := range rules {
		for _, a := range r.allowed {
			if containsFold(seen, a) || matchesSome(m, a) {
				continue
			}
			seen = append(seen, a)
			out = append(out, quote(a))
		}
	}
	return out
}

func matchesSome(m *Model, token string) bool {
	for i := range m.Deployments {
		if matches(&m.Deployments[i], token) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func noHealthyError(m *Model, inRegion int, rules []rule) error {
	where := ""
	for _, r := range rules {
		if len(r.allowed) > 0 {
			where = " allowed by the region rules"
			break
		}
	}
	msg := "no healthy deployment of model " + quote(m.Name) + ": "
	if inRegion == 1 {
		msg += "the only deployment" + where + " is failing or cooling down"
	} else {
		msg += "all " + strconv.Itoa(inRegion) + " deployments" + where + " are failing or cooling down"
	}
	return &gwerr.Error{Kind: gwerr.Unavailable, Code: "no_healthy_deployment", Message: msg}
}

// quote quotes s for an error message; strconv.Quote escapes control
// characters, so a hostile header cannot forge log lines.
func quote(s string) string { return strconv.Quote(s) }
