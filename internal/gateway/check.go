package gateway

import (
	"errors"
	"fmt"
	"io"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/upstream"
	"github.com/windrose-gw/windrose/providers"
)

// CheckAdapters builds every deployment's adapter the way serve does and
// reports every problem at once (an unreadable server.upstream.ca_file
// too), each with its path in the file
// ("models[0].deployments[2].options.region: …"). Adapters make no network
// call when built, so this is safe offline; any that holds resources
// (io.Closer) is closed again.
func CheckAdapters(cfg *config.Config, reg *providers.Registry) error {
	var errs []error
	client, err := upstream.NewClient(cfg.Server.Upstream)
	if err != nil {
		errs = append(errs, err)
		client = upstream.Default()
	}
	deps := providers.Deps{HTTPClient: client}
	for i := range cfg.Models {
		for j := range cfg.Models[i].Deployments {
			d := cfg.Models[i].Deployments[j]
			at := fmt.Sprintf("models[%d].deployments[%d]", i, j)
			p, err := reg.Build(d, deps)
			if err != nil {
				errs = append(errs, prefixPaths(at, err)...)
				continue
			}
			if c, ok := p.(io.Closer); ok {
				_ = c.Close()
			}
		}
	}
	return errors.Join(errs...)
}

// prefixPaths puts at in front of each problem in err: a FieldError's path
// becomes at.path; any other error is shown as "at (provider): err".
func prefixPaths(at string, err error) []error {
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	out := make([]error, 0, len(parts))
	for _, e := range parts {
		var fe *config.FieldError
		if errors.As(e, &fe) {
			c := *fe
			c.Path = at + "." + fe.Path
			out = append(out, &c)
			continue
		}
		out = append(out, fmt.Errorf("%s: %w", at, e))
	}
	return out
}
