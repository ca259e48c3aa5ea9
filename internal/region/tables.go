package region

import "strings"

// The tables below list regions whose geo differs from what their name's
// prefix suggests, or that have no telling prefix; prefix rules catch new
// regions of a known family. Values are lower-case.

// awsExact holds AWS regions that override the prefix rules.
var awsExact = map[string]string{
	"eu-west-2":      UK, // London
	"eu-central-2":   EU, // Zurich (see the package doc on Switzerland)
	"ap-northeast-1": JP, // Tokyo
	"ap-northeast-3": JP, // Osaka
	"ap-southeast-2": AU, // Sydney
	"ap-southeast-4": AU, // Melbourne
	"ap-southeast-6": AU, // New Zealand
	"il-central-1":   ME, // Tel Aviv
	"mx-central-1":   SA, // Mexico
	"cn-north-1":     APAC,
	"cn-northwest-1": APAC,
}

// awsPrefixes maps an AWS region family to its geo.
var awsPrefixes = []prefixRule{
	{"us-", US}, {"eu-", EU}, {"ap-", APAC}, {"ca-", CA}, {"sa-", SA},
	{"me-", ME}, {"af-", AF}, {"cn-", APAC},
}

// gcpExact holds Google Cloud locations that override the prefix rules.
var gcpExact = map[string]string{
	"europe-west2":            UK, // London
	"asia-northeast1":         JP, // Tokyo
	"asia-northeast2":         JP, // Osaka
	"northamerica-south1":     SA, // Querétaro, Mexico
	"northamerica-northeast1": CA,
	"northamerica-northeast2": CA,
}

// gcpPrefixes maps a Google Cloud location family to its geo.
var gcpPrefixes = []prefixRule{
	{"us-", US}, {"europe-", EU}, {"asia-", APAC}, {"australia-", AU},
	{"southamerica-", SA}, {"me-", ME}, {"africa-", AF},
}

// azureExact holds Azure regions (spaces removed) that override the prefix
// rules.
var azureExact = map[string]string{
	"northeurope": EU, "westeurope": EU,
	"eastus": US, "eastus2": US, "westus": US, "westus2": US, "westus3": US,
	"centralus": US, "northcentralus": US, "southcentralus": US, "westcentralus": US,
	"eastasia": APAC, "southeastasia": APAC,
	"centralindia": APAC, "southindia": APAC, "westindia": APAC, "jioindiawest": APAC,
	"mexicocentral": SA,
}

// azurePrefixes maps an Azure region's leading country or area to its geo.
var azurePrefixes = []prefixRule{
	{"usgov", US}, {"usdod", US},
	{"uk", UK}, {"canada", CA}, {"brazil", SA}, {"chile", SA},
	{"japan", JP}, {"australia", AU}, {"newzealand", AU},
	{"korea", APAC}, {"india", APAC}, {"indonesia", APAC}, {"malaysia", APAC},
	{"taiwan", APAC}, {"china", APAC},
	{"france", EU}, {"germany", EU}, {"sweden", EU}, {"norway", EU},
	{"switzerland", EU}, {"italy", EU}, {"poland", EU}, {"spain", EU},
	{"austria", EU}, {"belgium", EU}, {"denmark", EU}, {"finland", EU},
	{"greece", EU},
	{"uae", ME}, {"qatar", ME}, {"israel", ME}, {"saudi", ME},
	{"southafrica", AF},
}

// ibmExact holds IBM Cloud regions (watsonx.ai hosts are {region}.ml.cloud.ibm.com).
var ibmExact = map[string]string{
	"us-south": US,   // Dallas
	"us-east":  US,   // Washington DC
	"eu-de":    EU,   // Frankfurt
	"eu-es":    EU,   // Madrid
	"eu-gb":    UK,   // London
	"jp-tok":   JP,   // Tokyo
	"jp-osa":   JP,   // Osaka
	"au-syd":   AU,   // Sydney
	"ca-tor":   CA,   // Toronto
	"ca-mon":   CA,   // Montreal
	"br-sao":   SA,   // São Paulo
	"in-che":   APAC, // Chennai
}

// prefixRule maps every region starting with prefix to geo.
type prefixRule struct{ prefix, geo string }

// lookup tries exact, then the prefix rules in order.
func lookup(r string, exact map[string]string, prefixes []prefixRule) string {
	if g, ok := exact[r]; ok {
		return g
	}
	for _, p := range prefixes {
		if strings.HasPrefix(r, p.prefix) {
			return p.geo
		}
	}
	return Unknown
}

// aws returns the geo of an AWS region, e.g. eu-central-1.
func aws(r string) string {
	// AWS region ids always end in -<digit>; this keeps IBM's "eu-de" or
	// Google's "us-central1" from matching the AWS family prefixes.
	if len(r) < 3 || r[len(r)-2] != '-' || r[len(r)-1] < '0' || r[len(r)-1] > '9' {
		return Unknown
	}
	return lookup(r, awsExact, awsPrefixes)
}

// gcp returns the geo of a Google Cloud location, e.g. europe-west4.
func gcp(r string) string {
	// Google locations end in a digit with no dash before it.
	if len(r) < 2 || r[len(r)-1] < '0' || r[len(r)-1] > '9' || r[len(r)-2] == '-' {
		return Unknown
	}
	return lookup(r, gcpExact, gcpPrefixes)
}

// azure returns the geo of an Azure region, e.g. swedencentral or
// "Sweden Central".
func azure(r string) string {
	r = strings.ReplaceAll(r, " ", "")
	if strings.ContainsAny(r, "-.") {
		return Unknown
	}
	return lookup(r, azureExact, azurePrefixes)
}

// ibm returns the geo of an IBM Cloud region, e.g. eu-de.
func ibm(r string) string {
	if g, ok := ibmExact[r]; ok {
		return g
	}
	return Unknown
}
