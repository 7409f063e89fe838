package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

// OIDC defaults.
const (
	DefaultSubjectClaim    = "sub"
	DefaultLeeway          = 30 * time.Second
	MaxLeeway              = 5 * time.Minute
	DefaultRefetchInterval = 10 * time.Second
	DefaultMaxKeyAge       = time.Hour
	DefaultFetchTimeout    = 5 * time.Second
)

// OIDCConfig configures mode oidc.
type OIDCConfig struct {
	// Issuer is the exact "iss" required, and the base of discovery. https, or
	// http on a loopback host (tests, local stack).
	Issuer string
	// JWKSURL, when set, is used instead of discovery (issuer +
	// "/.well-known/openid-configuration" -> jwks_uri).
	JWKSURL string
	// Audiences: the token's "aud" must contain at least one. Required.
	Audiences []string
	// SubjectClaim names the top-level string claim that names the caller
	// (default "sub"). Its value must match authconfig.NameGrammar.
	SubjectClaim string
	// Algorithms lists the accepted JWS algorithms (default RS256, ES256);
	// none and HS* are refused.
	Algorithms []string
	// Leeway is the clock skew allowed on exp and nbf (default 30s, at most 5m).
	Leeway time.Duration
	// Realm is named in WWW-Authenticate challenges (default DefaultRealm).
	Realm string
	// RefetchInterval is the least time between two JWKS fetches (default 10s).
	RefetchInterval time.Duration
	// MaxKeyAge is how long fetched keys are used before a refresh (default 1h).
	MaxKeyAge time.Duration
	// FetchTimeout bounds one discovery plus JWKS fetch (default 5s).
	FetchTimeout time.Duration
	// HTTPClient fetches discovery and JWKS documents (default: a client with
	// FetchTimeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives fetch outcomes (default slog.Default()).
	Logger *slog.Logger
}

// OIDC is mode oidc: "Authorization: Bearer <JWT>", verified against the
// issuer's JWKS: signature with an allowed asymmetric algorithm, iss, aud,
// exp (required) and nbf (if present), with a small leeway.
type OIDC struct {
	parser *jwt.Parser
	keys   *keySet
	claim  string
	ch     challenger
}

// NewOIDC validates cfg, reporting every problem, and returns the
// authenticator. It makes no network call; see Prefetch.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	v, err := checkOIDCConfig(cfg)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &OIDC{
		parser: jwt.NewParser(
			jwt.WithValidMethods(v.algorithms),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(v.audiences...),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(v.leeway),
			jwt.WithTimeFunc(now),
			jwt.WithStrictDecoding(),
		),
		keys:  newKeySet(cfg, now, v.ch),
		claim: v.claim,
		ch:    v.ch,
	}, nil
}

// oidcSettings are the checked values of an OIDCConfig, defaults applied.
type oidcSettings struct {
	audiences  []string
	claim      string
	algorithms []string
	leeway     time.Duration
	ch         challenger
}

// checkOIDCConfig checks cfg and applies its defaults; the error names every
// problem.
func checkOIDCConfig(cfg OIDCConfig) (oidcSettings, error) {
	var errs []error
	if err := checkEndpointURL(cfg.Issuer, true); err != nil {
		errs = append(errs, fmt.Errorf("OIDC issuer: %w", err))
	}
	if cfg.JWKSURL != "" {
		if err := checkEndpointURL(cfg.JWKSURL, true); err != nil {
			errs = append(errs, fmt.Errorf("OIDC JWKS URL: %w", err))
		}
	}
	var v oidcSettings
	for _, a := range cfg.Audiences {
		if a = strings.TrimSpace(a); a != "" {
			v.audiences = append(v.audiences, a)
		}
	}
	if len(v.audiences) == 0 {
		errs = append(errs, errors.New("OIDC audience is required"))
	}
	v.claim = cfg.SubjectClaim
	if v.claim == "" {
		v.claim = DefaultSubjectClaim
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = authconfig.DefaultAlgorithms
	}
	var err error
	if v.algorithms, err = authconfig.ParseAlgorithms(strings.Join(algs, ",")); err != nil {
		errs = append(errs, fmt.Errorf("OIDC algorithms: %w", err))
	}
	v.leeway = cfg.Leeway
	if v.leeway == 0 {
		v.leeway = DefaultLeeway
	}
	if v.leeway < 0 || v.leeway > MaxLeeway {
		errs = append(errs, fmt.Errorf("OIDC leeway %v is out of range [0, %v]", cfg.Leeway, MaxLeeway))
	}
	if v.ch, err = newChallenger(cfg.Realm); err != nil {
		errs = append(errs, err)
	}
	return v, errors.Join(errs...)
}

// newKeySet returns the issuer's key cache as cfg sets it up, defaults
// applied. Its HTTP client follows redirects only within the same host.
func newKeySet(cfg OIDCConfig, now func() time.Time, ch challenger) *keySet {
	pos := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	timeout := pos(cfg.FetchTimeout, DefaultFetchTimeout)
	client := &http.Client{Timeout: timeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient // a copy: the caller's client keeps its own redirect rule
		client = &c
	}
	client.CheckRedirect = sameHostRedirects
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &keySet{
		issuer:   cfg.Issuer,
		jwksURL:  cfg.JWKSURL,
		client:   client,
		now:      now,
		minGap:   pos(cfg.RefetchInterval, DefaultRefetchInterval),
		maxAge:   pos(cfg.MaxKeyAge, DefaultMaxKeyAge),
		timeout:  timeout,
		log:      log,
		unknownK: ch,
	}
}

// Prefetch fetches the issuer's keys now (e.g. at start), so the first request
// does not wait. It counts against the refetch interval like any fetch. A
// failure is not fatal: requests fetch again later, rate-limited.
func (o *OIDC) Prefetch(ctx context.Context) error {
	return o.keys.prefetch(ctx)
}

// Authenticate verifies the request's bearer JWT and returns the caller named
// by its subject claim.
func (o *OIDC) Authenticate(r *http.Request) (Caller, error) {
	token, err := parseBearer(r.Header.Values("Authorization"), o.ch)
	if err != nil {
		return Caller{}, err
	}
	claims := jwt.MapClaims{}
	if _, err := o.parser.ParseWithClaims(token, claims, o.keyfunc(r.Context())); err != nil {
		return Caller{}, o.classify(err)
	}
	name, ok := claims[o.claim].(string)
	if !ok {
		return Caller{}, &Error{Code: apierr.Forbidden, Message: fmt.Sprintf("token has no string %q claim to name the caller", o.claim)}
	}
	if err := authconfig.ValidName(name); err != nil {
		return Caller{}, &Error{Code: apierr.Forbidden, Message: fmt.Sprintf("the token's %q claim is not a usable caller name (grammar %s)", o.claim, authconfig.NameGrammar), Err: err}
	}
	return Caller{Name: name}, nil
}

// keyfunc finds the verification keys for a token whose alg the parser has
// already checked against the allowed list.
func (o *OIDC) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if _, crit := t.Header["crit"]; crit {
			return nil, o.ch.invalid("invalid token", errors.New("crit header parameters are not supported"))
		}
		var kid string
		if v, ok := t.Header["kid"]; ok {
			s, ok := v.(string)
			if !ok {
				return nil, o.ch.invalid("invalid token", errKidType)
			}
			kid = s
		}
		keys, err := o.keys.lookup(ctx, kid, t.Method.Alg())
		if err != nil {
			return nil, err
		}
		if len(keys) == 1 {
			return keys[0], nil
		}
		set := jwt.VerificationKeySet{Keys: make([]jwt.VerificationKey, len(keys))}
		for i, k := range keys {
			set.Keys[i] = k
		}
		return set, nil
	}
}

// classify maps a parse error to a refusal. Errors from keyfunc keep their
// code (unavailable when the JWKS is unreachable).
func (o *OIDC) classify(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return o.ch.invalid("token expired", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return o.ch.invalid("token not valid yet", err)
	default:
		return o.ch.invalid("invalid token", err)
	}
}

// checkEndpointURL accepts an absolute https URL without query, fragment or
// user info; with allowLoopbackHTTP, also http to a loopback host.
func checkEndpointURL(raw string, allowLoopbackHTTP bool) error {
	if raw == "" {
		return errors.New("is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("is not a URL")
	}
	switch {
	case u.Host == "":
		return fmt.Errorf("%q has no host", redactURL(raw))
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not have user info, query or fragment", redactURL(raw))
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && allowLoopbackHTTP && isLoopbackURL(raw):
		return nil
	default:
		return fmt.Errorf("%q must be https (http only on a loopback host)", redactURL(raw))
	}
}

// maxRedirects bounds the redirects a discovery or JWKS fetch follows.
const maxRedirects = 3

// sameHostRedirects is the redirect rule of discovery and JWKS fetches: at
// most maxRedirects, each to https on the host first asked. The keys that
// verify every token must come from where the operator pointed, not from
// wherever a compromised or misconfigured server sends the fetch, and never
// over plain http.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	switch {
	case len(via) > maxRedirects:
		return fmt.Errorf("more than %d redirects from %s", maxRedirects, redactURL(first.String()))
	case req.URL.Scheme != "https":
		return fmt.Errorf("redirect to %s refused: only https redirects are followed", redactURL(req.URL.String()))
	case first.Scheme != "https" || !strings.EqualFold(req.URL.Host, first.Host):
		return fmt.Errorf("redirect from %s to %s refused: only redirects to the same https host are followed",
			redactURL(first.String()), redactURL(req.URL.String()))
	}
	return nil
}

// redactURL returns raw without user info (everything between the scheme
// and the last "@" of the authority), for error messages and logs: a
// password pasted into an issuer URL must not reach them. It works on text,
// so a URL that does not parse is redacted too.
func redactURL(raw string) string {
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	end := len(raw)
	if i := strings.IndexAny(raw[start:], "/?#"); i >= 0 {
		end = start + i
	}
	at := strings.LastIndexByte(raw[start:end], '@')
	if at < 0 {
		return raw
	}
	return raw[:start] + raw[start+at+1:]
}

func isLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
