package bedrock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go/auth/bearer"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// options is the deployment's `options` block.
type options struct {
	// AccessKeyID and SecretAccessKey are static SigV4 keys (write them as
	// ${ENV} references). Default: none, the SDK's credential chain.
	AccessKeyID     config.Secret `yaml:"access_key_id"`
	SecretAccessKey config.Secret `yaml:"secret_access_key"`
	// SessionToken goes with temporary static keys. Default: none.
	SessionToken config.Secret `yaml:"session_token"`
	// Profile names a shared-config profile for the chain. Default: the
	// chain's own choice (AWS_PROFILE, else "default").
	Profile string `yaml:"profile"`
	// Vision says the model accepts image parts; without it an image is a
	// 400 from windrose. Default: false.
	Vision bool `yaml:"vision"`
}

// validate reports inconsistent credentials, naming the option.
func (o *options) validate(apiKey config.Secret) error {
	var errs []error
	static := o.AccessKeyID != "" || o.SecretAccessKey != ""
	if o.AccessKeyID != "" && o.SecretAccessKey == "" {
		errs = append(errs, errors.New("options.secret_access_key: required with options.access_key_id"))
	}
	if o.SecretAccessKey != "" && o.AccessKeyID == "" {
		errs = append(errs, errors.New("options.access_key_id: required with options.secret_access_key"))
	}
	if o.SessionToken != "" && !static {
		errs = append(errs, errors.New("options.session_token: only with options.access_key_id and options.secret_access_key"))
	}
	if static && apiKey != "" {
		errs = append(errs, errors.New("options.access_key_id: give either static keys or api_key (a Bedrock API key), not both"))
	}
	if o.Profile != "" && (static || apiKey != "") {
		errs = append(errs, errors.New("options.profile: only for the credential chain, not with static keys or api_key"))
	}
	return errors.Join(errs...)
}

// newClient builds the SDK client for one deployment. The SDK's retryer is
// off (the executor owns retries and failover) and requests go through
// windrose's pooled HTTP client.
func newClient(d config.Deployment, o *options, deps providers.Deps) (*bedrockruntime.Client, error) {
	hc := deps.HTTPClient
	if hc == nil {
		hc = oaicompat.DefaultHTTPClient()
	}
	var endpoint *string
	if d.BaseURL != "" {
		if err := oaicompat.ValidateBaseURL(d.BaseURL); err != nil {
			return nil, err
		}
		endpoint = aws.String(d.BaseURL)
	}
	common := func(opt *bedrockruntime.Options) {
		opt.Region = d.Region
		opt.BaseEndpoint = endpoint
		opt.HTTPClient = plainBody{hc}
		opt.Retryer = aws.NopRetryer{}
		opt.RetryMaxAttempts = 0
	}
	switch {
	case d.APIKey != "":
		key := d.APIKey.Value()
		return bedrockruntime.New(bedrockruntime.Options{}, common, func(opt *bedrockruntime.Options) {
			// After the SDK read AWS_BEARER_TOKEN_BEDROCK: the deployment's
			// own key wins.
			opt.BearerAuthTokenProvider = bearer.StaticTokenProvider{Token: bearer.Token{Value: key}}
			opt.BearerAuthSigner = bearerSigner{allowHTTP: isLoopback(d.BaseURL)}
			opt.AuthSchemePreference = []string{"httpBearerAuth"}
		}), nil
	case o.AccessKeyID != "":
		creds := credentials.NewStaticCredentialsProvider(o.AccessKeyID.Value(), o.SecretAccessKey.Value(), o.SessionToken.Value())
		return bedrockruntime.New(bedrockruntime.Options{}, common, func(opt *bedrockruntime.Options) {
			opt.Credentials = creds
			opt.BearerAuthTokenProvider = nil
			opt.AuthSchemePreference = []string{"sigv4"}
		}), nil
	}
	// The default chain. LoadDefaultConfig reads environment and files only;
	// credentials (IMDS, STS, …) are fetched lazily, on the first request,
	// with the SDK's own HTTP client (which honours AWS_CA_BUNDLE); Bedrock
	// calls themselves go through windrose's client.
	loads := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(d.Region),
	}
	if o.Profile != "" {
		loads = append(loads, awsconfig.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), loads...)
	if err != nil {
		return nil, fmt.Errorf("options: loading the AWS credential chain: %w", err)
	}
	return bedrockruntime.NewFromConfig(cfg, common), nil
}

// plainBody hands the SDK's request body to net/http without its WriteTo
// method. smithy-go wraps the body in a reader whose WriteTo returns
// io.EOF once closed; net/http closes the request body when the response
// arrives and then, checking for a body longer than Content-Length, copies
// from it again: an io.EOF error there counts as a failed write, and the
// transport closes the connection under the response still streaming (a
// ConverseStream cut with "use of closed network connection", about one
// stream in fifty on loopback). Read has no such problem.
type plainBody struct{ c *http.Client }

func (p plainBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return p.c.Do(r)
}

// bearerSigner sends a Bedrock API key as `Authorization: Bearer`. Like the
// SDK's own signer it refuses plain HTTP, except to a loopback host (the
// emulator, a local proxy), where nothing leaves the machine.
type bearerSigner struct{ allowHTTP bool }

func (s bearerSigner) SignWithBearerToken(_ context.Context, tok bearer.Token, m bearer.Message) (bearer.Message, error) {
	req, ok := m.(*smithyhttp.Request)
	if !ok {
		return nil, fmt.Errorf("bedrock: unexpected request type %T", m)
	}
	if !req.IsHTTPS() && !s.allowHTTP {
		return nil, errors.New("bedrock: refusing to send an API key over plain HTTP")
	}
	out := req.Clone()
	out.Header.Set("Authorization", "Bearer "+tok.Value)
	return out, nil
}

// isLoopback reports whether base is an http URL on a loopback address.
func isLoopback(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
