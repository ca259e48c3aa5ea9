package bedrock

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// verifier checks a request's SigV4 signature (AWS's "Create a signed AWS
// API request" steps, recomputed with the standard library) or its Bedrock
// API key.
type verifier struct {
	accessKeyID, secret string
	bearer              string // the Bedrock API key accepted as a bearer token
	region, service     string
	now                 func() time.Time
}

// authError is a rejection with AWS's status, X-Amzn-ErrorType and message.
type authError struct {
	status  int
	code    string
	message string
}

func denied(code, msg string) *authError {
	return &authError{status: http.StatusForbidden, code: code, message: msg}
}

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDate      = "20060102T150405Z"
	maxSkew      = 5 * time.Minute
	msgMismatch  = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// check verifies r (whose body was read into body); nil means accepted.
func (v *verifier) check(r *http.Request, body []byte) *authError {
	auth := r.Header.Get("Authorization")
	if token, ok := strings.CutPrefix(auth, "Bearer "); ok {
		if subtle.ConstantTimeCompare([]byte(token), []byte(v.bearer)) != 1 {
			return denied("UnrecognizedClientException", msgBadToken)
		}
		return nil
	}
	if auth == "" {
		return denied("MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	p, e := parseAuthorization(auth)
	if e != nil {
		return e
	}
	return v.verify(r, body, p)
}

// sigParams are the parts of an AWS4-HMAC-SHA256 Authorization header.
type sigParams struct {
	keyID, date, region, service string
	signed                       []string
	signature                    string
}

func parseAuthorization(h string) (*sigParams, *authError) {
	rest, ok := strings.CutPrefix(h, sigAlgorithm+" ")
	if !ok {
		return nil, denied("IncompleteSignatureException", "Unsupported signing algorithm or malformed Authorization header.")
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = val
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return nil, denied("IncompleteSignatureException", "Authorization header requires '"+k+"' parameter.")
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return nil, denied("IncompleteSignatureException", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.")
	}
	return &sigParams{keyID: scope[0], date: scope[1], region: scope[2], service: scope[3],
		signed: strings.Split(fields["SignedHeaders"], ";"), signature: fields["Signature"]}, nil
}

func (v *verifier) verify(r *http.Request, body []byte, p *sigParams) *authError {
	if subtle.ConstantTimeCompare([]byte(p.keyID), []byte(v.accessKeyID)) != 1 || r.Header.Get("X-Amz-Security-Token") != "" {
		return denied("UnrecognizedClientException", msgBadToken)
	}
	if p.service != v.service {
		return denied("InvalidSignatureException", "Credential should be scoped to correct service: '"+v.service+"'. ")
	}
	if p.region != v.region {
		return denied("InvalidSignatureException", "Credential should be scoped to a valid region. ")
	}
	stamp := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDate, stamp)
	if err != nil {
		return denied("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if p.date != stamp[:8] {
		return denied("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+p.date+"' != '"+stamp[:8]+"'")
	}
	now := v.now().UTC()
	if t.Before(now.Add(-maxSkew)) {
		return denied("InvalidSignatureException", "Signature expired: "+stamp+" is now earlier than "+
			now.Add(-maxSkew).Format(amzDate)+" ("+now.Format(amzDate)+" - 5 min.)")
	}
	if t.After(now.Add(maxSkew)) {
		return denied("InvalidSignatureException", "Signature not yet current: "+stamp+" is still later than "+
			now.Add(maxSkew).Format(amzDate)+" ("+now.Format(amzDate)+" + 5 min.)")
	}
	if !contains(p.signed, "x-amz-date") {
		return denied("InvalidSignatureException", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !contains(p.signed, "host") {
		return denied("InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return denied("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	canonical := canonicalRequest(r, p.signed, payloadHash)
	want := signature(v.secret, p.date, v.region, v.service, stamp, canonical)
	if !hmac.Equal([]byte(want), []byte(p.signature)) {
		return denied("InvalidSignatureException", msgMismatch)
	}
	return nil
}

// canonicalRequest builds SigV4's canonical request. Services other than
// S3 encode each path segment twice: the path as sent is escaped again.
func canonicalRequest(r *http.Request, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(uriEncode(r.URL.EscapedPath(), false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.Query()))
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// headerValue is a signed header's canonical value: values joined by
// commas, outer spaces trimmed, inner runs of spaces collapsed. Go's server
// moves Host and Content-Length out of the header map.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(name)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, uriEncode(k, true)+"="+uriEncode(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// uriEncode percent-encodes every byte but the unreserved characters
// (A-Z a-z 0-9 - . _ ~), and '/' unless slash is set.
func uriEncode(s string, slash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' && !slash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String()
}

// signature derives the signing key and signs the string to sign.
func signature(secret, date, region, service, stamp, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	toSign := sigAlgorithm + "\n" + stamp + "\n" + date + "/" + region + "/" + service + "/aws4_request\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "aws4_request")
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
