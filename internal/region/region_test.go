package region

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGeo(t *testing.T) {
	tests := []struct {
		name, provider, region, want string
	}{
		// The Mistral API is EU-hosted whatever region string is configured.
		{"mistral empty", "mistral", "", EU},
		{"mistral free text", "mistral", "eu-west", EU},
		// A geo label is taken at its word, e.g. a dedicated US endpoint.
		{"mistral us label", "mistral", "us", US},
		// OpenRouter routes anywhere unless EU in-region routing is configured.
		{"openrouter empty", "openrouter", "", Global},
		{"openrouter eu", "openrouter", "eu", EU},
		{"openrouter nonsense", "openrouter", "mars", Unknown},
		// AWS: the common regions, London split out as uk, Zurich as eu.
		{"aws us-east-1", "bedrock", "us-east-1", US},
		{"aws us-west-2", "bedrock", "us-west-2", US},
		{"aws eu-west-1", "bedrock", "eu-west-1", EU},
		{"aws eu-west-2 london", "bedrock", "eu-west-2", UK},
		{"aws eu-west-3", "bedrock", "eu-west-3", EU},
		{"aws eu-central-1", "bedrock", "eu-central-1", EU},
		{"aws eu-central-2 zurich", "bedrock", "eu-central-2", EU},
		{"aws eu-north-1", "bedrock", "eu-north-1", EU},
		{"aws eu-south-2", "bedrock", "eu-south-2", EU},
		{"aws tokyo", "bedrock", "ap-northeast-1", JP},
		{"aws sydney", "bedrock", "ap-southeast-2", AU},
		{"aws mumbai", "bedrock", "ap-south-1", APAC},
		{"aws canada", "bedrock", "ca-central-1", CA},
		{"aws sao paulo", "bedrock", "sa-east-1", SA},
		{"aws bahrain", "bedrock", "me-south-1", ME},
		{"aws cape town", "bedrock", "af-south-1", AF},
		{"aws govcloud", "bedrock", "us-gov-west-1", US},
		// A future region of a known family is still placed by its prefix.
		{"aws future eu region", "bedrock", "eu-east-9", EU},
		// Case and surrounding space do not matter.
		{"aws upper case", "bedrock", " EU-WEST-1 ", EU},
		// A GCP-shaped name is not an AWS region.
		{"aws given gcp name", "bedrock", "europe-west4", Unknown},
		// GCP: the two Medium 3 locations, London, global.
		{"gcp us-central1", "vertex", "us-central1", US},
		{"gcp europe-west4", "vertex", "europe-west4", EU},
		{"gcp london", "vertex", "europe-west2", UK},
		{"gcp tokyo", "vertex", "asia-northeast1", JP},
		{"gcp singapore", "vertex", "asia-southeast1", APAC},
		{"gcp montreal", "vertex", "northamerica-northeast1", CA},
		{"gcp sydney", "vertex", "australia-southeast1", AU},
		{"gcp global", "vertex", "global", Global},
		// Azure: names with and without spaces, Global Standard.
		{"azure westeurope", "azure", "westeurope", EU},
		{"azure West Europe", "azure", "West Europe", EU},
		{"azure swedencentral", "azure", "swedencentral", EU},
		{"azure francecentral", "azure", "francecentral", EU},
		{"azure eastus2", "azure", "eastus2", US},
		{"azure uksouth", "azure", "uksouth", UK},
		{"azure japaneast", "azure", "japaneast", JP},
		{"azure global standard", "azure", "global", Global},
		{"azure data zone eu", "azure", "eu", EU},
		{"azure unknown", "azure", "atlantis", Unknown},
		// IBM: every watsonx region, London as uk, plus watsonx on AWS.
		{"ibm us-south", "watsonx", "us-south", US},
		{"ibm eu-de", "watsonx", "eu-de", EU},
		{"ibm eu-gb", "watsonx", "eu-gb", UK},
		{"ibm jp-tok", "watsonx", "jp-tok", JP},
		{"ibm au-syd", "watsonx", "au-syd", AU},
		{"ibm ca-tor", "watsonx", "ca-tor", CA},
		{"watsonx on aws", "watsonx", "ap-south-1", APAC},
		// The generic kind tries every table.
		{"openai aws name", "openai", "eu-central-1", EU},
		{"openai ibm name", "openai", "eu-gb", UK},
		{"openai empty", "openai", "", Unknown},
		{"openai free text", "openai", "on-prem-paris", Unknown},
		// Region required but missing.
		{"bedrock empty", "bedrock", "", Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Geo(tt.provider, tt.region); got != tt.want {
				t.Errorf("Geo(%q, %q) = %q, want %q", tt.provider, tt.region, got, tt.want)
			}
		})
	}
}

func TestBedrockProfileGeo(t *testing.T) {
	type result struct {
		Geo string
		OK  bool
	}
	tests := []struct {
		name, id string
		want     result
	}{
		// The profile prefixes AWS uses.
		{"us", "us.mistral.pixtral-large-2502-v1:0", result{US, true}},
		{"eu", "eu.mistral.pixtral-large-2502-v1:0", result{EU, true}},
		{"apac", "apac.amazon.nova-lite-v1:0", result{APAC, true}},
		{"jp", "jp.anthropic.claude-x", result{JP, true}},
		{"au", "au.anthropic.claude-x", result{AU, true}},
		{"global", "global.anthropic.claude-x", result{Global, true}},
		{"us-gov", "us-gov.anthropic.claude-x", result{US, true}},
		// A profile ARN carries the profile id after the last slash.
		{"arn", "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.mistral.pixtral-large-2502-v1:0", result{EU, true}},
		// A base model id is placed by the deployment's region instead.
		{"base id", "mistral.mistral-large-3-675b-instruct", result{"", false}},
		{"empty", "", result{"", false}},
		{"no dot", "custom-model", result{"", false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ok := BedrockProfileGeo(tt.id)
			if diff := cmp.Diff(tt.want, result{g, ok}); diff != "" {
				t.Errorf("BedrockProfileGeo(%q) mismatch (-want +got):\n%s", tt.id, diff)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		name        string
		allowed     []string
		geo, region string
		want        bool
	}{
		// No rule allows everything.
		{"no rule", nil, US, "us-east-1", true},
		{"geo match", []string{"eu"}, EU, "eu-west-1", true},
		{"geo mismatch", []string{"eu"}, US, "us-east-1", false},
		// An exact region id narrows further than its geo.
		{"region match", []string{"eu-central-1"}, EU, "eu-central-1", true},
		{"region mismatch", []string{"eu-central-1"}, EU, "eu-west-1", false},
		// global means anywhere, which is not inside the EU.
		{"global is not eu", []string{"eu"}, Global, "", false},
		// London is uk; an EU rule excludes it unless uk is listed.
		{"london under eu rule", []string{"eu"}, UK, "eu-west-2", false},
		{"london under eu+uk rule", []string{"eu", "uk"}, UK, "eu-west-2", true},
		{"case-insensitive", []string{"EU"}, EU, "", true},
		// An empty entry must not match a deployment with no region.
		{"empty entry", []string{""}, Unknown, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Matches(tt.allowed, tt.geo, tt.region); got != tt.want {
				t.Errorf("Matches(%v, %q, %q) = %v, want %v", tt.allowed, tt.geo, tt.region, got, tt.want)
			}
		})
	}
}

func TestKnown(t *testing.T) {
	for _, g := range Geos() {
		if !Known(g) {
			t.Errorf("Known(%q) = false", g)
		}
	}
	for _, g := range []string{"", "EU", "europe", "mars"} {
		if Known(g) {
			t.Errorf("Known(%q) = true", g)
		}
	}
}

func TestKnownRegion(t *testing.T) {
	tests := []struct {
		region string
		want   bool
	}{
		{"eu-central-1", true}, {"europe-west4", true}, {"swedencentral", true},
		{"eu-de", true}, {"eu", true}, {"global", true},
		{"unknown", false}, {"atlantis", false}, {"", false},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			if got := KnownRegion(tt.region); got != tt.want {
				t.Errorf("KnownRegion(%q) = %v, want %v", tt.region, got, tt.want)
			}
		})
	}
}

// An Azure deployment's type overrides its region's geo, and a residency
// rule then decides on that geo: a Data Zone EU deployment passes an eu
// rule, a Global Standard one in the same region does not.
func TestAzureDeploymentGeo(t *testing.T) {
	tests := []struct {
		name, typ, region string
		wantGeo           string
		wantOK            bool
		euRule            bool // passes a residency rule [eu]
	}{
		// Regional: the region's geo applies (ok false).
		{"regional", "regional", "swedencentral", "", false, true},
		{"empty type", "", "swedencentral", "", false, true},
		// Global Standard processes anywhere: never inside an eu rule.
		{"global standard", "global_standard", "swedencentral", Global, true, false},
		{"global standard spelled", "GlobalStandard", "eastus2", Global, true, false},
		// Data Zone EU and US.
		{"data zone eu", "data_zone", "swedencentral", EU, true, true},
		{"data zone eu west europe", "DataZone", "West Europe", EU, true, true},
		{"data zone us", "data-zone", "eastus2", US, true, false},
		// There is no data zone for other places (London, Tokyo).
		{"data zone uk", "data_zone", "uksouth", Unknown, true, false},
		{"data zone japan", "data_zone", "japaneast", Unknown, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			geo, ok := AzureDeploymentGeo(tt.typ, tt.region)
			if geo != tt.wantGeo || ok != tt.wantOK {
				t.Fatalf("AzureDeploymentGeo(%q, %q) = %q, %v; want %q, %v", tt.typ, tt.region, geo, ok, tt.wantGeo, tt.wantOK)
			}
			if !ok {
				geo = Geo("azure", tt.region)
			}
			// The rule names the geo only: an exact-region rule is a
			// different question.
			if got := Matches([]string{EU}, geo, ""); got != tt.euRule {
				t.Errorf("eu rule on geo %q = %v, want %v", geo, got, tt.euRule)
			}
		})
	}
}
