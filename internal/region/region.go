// Package region maps a provider's region id to a small, bounded geo label
// (eu, us, uk, …) so routing rules and metric labels can speak about where
// a request is processed without knowing every cloud's naming scheme.
//
// The labels and what they mean:
//
//	eu      European Union and EEA countries, plus Switzerland (covered by an
//	        EU adequacy decision; there is no separate label for it)
//	uk      United Kingdom. London is kept apart from eu on purpose: an EU
//	        residency rule usually means EU/EEA, and post-Brexit the UK is a
//	        third country with an adequacy decision, not a member. A rule that
//	        accepts both lists both: [eu, uk].
//	us      United States (including GovCloud)
//	ca      Canada
//	sa      Latin America: South America and Mexico
//	apac    Asia-Pacific outside Japan and Australia (India, Singapore, Korea, …)
//	jp      Japan
//	au      Australia and New Zealand
//	me      Middle East, including Israel
//	af      Africa
//	global  no fixed place: the provider may process anywhere (OpenRouter,
//	        Bedrock global.* profiles, Azure Global Standard)
//	unknown the place could not be determined
//
// A residency rule for eu never matches a global deployment: global means
// "anywhere", which is not "inside the EU".
package region

import (
	"strings"
)

// Geo labels.
const (
	EU      = "eu"
	US      = "us"
	UK      = "uk"
	CA      = "ca"
	SA      = "sa"
	APAC    = "apac"
	JP      = "jp"
	AU      = "au"
	ME      = "me"
	AF      = "af"
	Global  = "global"
	Unknown = "unknown"
)

// Geos returns every geo label in a fixed order, Unknown last.
func Geos() []string {
	return []string{EU, US, UK, CA, SA, APAC, JP, AU, ME, AF, Global, Unknown}
}

// Known reports whether geo is one of the labels Geos returns (Unknown included).
func Known(geo string) bool {
	for _, g := range Geos() {
		if geo == g {
			return true
		}
	}
	return false
}

// isPlace reports whether s is a geo label that names a place, which every
// provider accepts as a region value too (Azure Data Zone "eu", OpenRouter
// "eu", Vertex multi-region "us", "global").
func isPlace(s string) bool { return s != Unknown && Known(s) }

// Geo returns the geo label of region at provider. Region ids are matched
// case-insensitively. Provider rules:
//
//   - mistral: La Plateforme is hosted in the EU, so any region (or none) is
//     eu, except a region that is itself a geo label (e.g. "us" for a
//     dedicated US endpoint), which is taken at its word.
//   - openrouter: empty is global; a geo label ("eu" for EU in-region
//     routing) is taken as is.
//   - bedrock: AWS regions; vertex: Google Cloud locations; azure: Azure
//     regions ("West Europe" and "westeurope" both work, "global" for
//     Global Standard); watsonx: IBM Cloud regions, then AWS regions for
//     watsonx SaaS on AWS.
//   - anything else (openai and unknown kinds): every table is tried.
//
// A region no table knows is Unknown. Bedrock cross-region inference
// profiles are named in the model id, not the region: see BedrockProfileGeo.
func Geo(provider, region string) string {
	r := strings.ToLower(strings.TrimSpace(region))
	switch provider {
	case "mistral":
		if isPlace(r) {
			return r
		}
		return EU
	case "openrouter":
		if r == "" {
			return Global
		}
	}
	if r == "" {
		return Unknown
	}
	if isPlace(r) {
		return r
	}
	switch provider {
	case "bedrock":
		return aws(r)
	case "vertex":
		return gcp(r)
	case "azure":
		return azure(r)
	case "watsonx":
		if g := ibm(r); g != Unknown {
			return g
		}
		return aws(r)
	case "openrouter":
		return Unknown
	}
	return anyTable(r)
}

// anyTable tries each cloud's table in turn.
func anyTable(r string) string {
	for _, f := range []func(string) string{aws, gcp, azure, ibm} {
		if g := f(r); g != Unknown {
			return g
		}
	}
	return Unknown
}

// KnownRegion reports whether some built-in table maps region to a geo, or
// region is itself a geo label naming a place.
func KnownRegion(region string) bool {
	r := strings.ToLower(strings.TrimSpace(region))
	return isPlace(r) || anyTable(r) != Unknown
}

// BedrockProfileGeo returns the geo of a Bedrock cross-region inference
// profile named by modelID ("eu.mistral.pixtral-large-2502-v1:0" is eu,
// "global.…" is global). An inference-profile ARN works too: its last path
// element is examined. ok is false for a plain base model id, whose geo is
// that of the deployment's region.
func BedrockProfileGeo(modelID string) (geo string, ok bool) {
	id := modelID
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	prefix, rest, found := strings.Cut(id, ".")
	if !found || rest == "" {
		return "", false
	}
	switch strings.ToLower(prefix) {
	case "us", "us-gov":
		return US, true
	case "eu":
		return EU, true
	case "apac":
		return APAC, true
	case "jp":
		return JP, true
	case "au":
		return AU, true
	case "ca":
		return CA, true
	case "global":
		return Global, true
	}
	return "", false
}

// Matches reports whether a deployment at geo and region passes a rule
// listing allowed geos or exact region ids. An entry matches when it equals
// the geo or the region (case-insensitively). An empty list allows
// everything: it is "no rule", not "nothing".
func Matches(allowed []string, geo, region string) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if strings.EqualFold(a, geo) || (region != "" && strings.EqualFold(a, region)) {
			return true
		}
	}
	return false
}

// AzureDeploymentGeo returns the geo of an Azure AI Foundry deployment whose
// type decides where it processes, whatever the resource's region:
//
//   - global_standard: anywhere, so Global (never "in the EU");
//   - data_zone: inside the data zone of the resource's region, which Azure
//     offers for the EU and the US only; a region outside both is Unknown;
//   - regional (or empty): ok is false, the region's own geo applies.
//
// Type names match case-insensitively; "globalstandard", "global" and
// "datazone" are accepted too.
func AzureDeploymentGeo(deploymentType, region string) (geo string, ok bool) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(deploymentType), "-", "_")) {
	case "global_standard", "globalstandard", "global":
		return Global, true
	case "data_zone", "datazone":
		switch g := Geo("azure", region); g {
		case EU, US:
			return g, true
		}
		return Unknown, true
	}
	return "", false
}
