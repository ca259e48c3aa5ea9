package config

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// An Azure deployment's options.deployment_type places it: Global Standard
// is global and Data Zone EU is eu whatever the region; regional uses the
// region; a data zone outside the EU and US needs an explicit geo.
func TestDerivedGeoAzureDeploymentType(t *testing.T) {
	tests := []struct {
		name, options, region, geo, want string
		invalid                          bool
	}{
		// Regional: the region's geo.
		{"regional", "deployment_type: regional", "swedencentral", "", "eu", false},
		{"no options", "", "eastus2", "", "us", false},
		// Global Standard from an EU region is still global.
		{"global standard", "deployment_type: global_standard", "swedencentral", "", "global", false},
		// Data Zone EU.
		{"data zone eu", "{deployment_type: data_zone, endpoint: models}", "francecentral", "", "eu", false},
		// No data zone exists for the UK: geo must be written out.
		{"data zone uk", "deployment_type: data_zone", "uksouth", "", "", true},
		// An explicit geo wins over everything.
		{"explicit geo", "deployment_type: global_standard", "swedencentral", "eu", "eu", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.options), &doc); err != nil {
				t.Fatal(err)
			}
			var opts yaml.Node
			if len(doc.Content) > 0 {
				opts = *doc.Content[0]
			}
			c := &Config{Models: []Model{{Name: "m", Deployments: []Deployment{{
				Name: "d", Provider: "azure", Model: "mistral-medium-2505", Region: tt.region, Geo: tt.geo, Options: opts,
			}}}}}
			c.SetDefaults()
			err := Validate(c, nil)
			if tt.invalid {
				if err == nil {
					t.Fatalf("Validate passed with geo %q, want an error asking for geo", c.Models[0].Deployments[0].Geo)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := c.Models[0].Deployments[0].Geo; got != tt.want {
				t.Errorf("geo = %q, want %q", got, tt.want)
			}
		})
	}
}
