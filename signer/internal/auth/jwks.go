package auth

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// keySet caches an issuer's verification keys.
//
// Policy:
//   - a token whose kid is cached, with keys younger than maxAge, is checked
//     with no network call;
//   - a kid that is not cached, or keys older than maxAge, trigger a fetch,
//     but fetches start at most once per minGap (whatever the number of
//     distinct unknown kids), and concurrent requests share one fetch;
//   - a failed fetch keeps the cached keys, so known kids keep working while
//     the JWKS is down;
//   - a kid still unknown after the latest fetch is unauthorized if that fetch
//     succeeded (the issuer does not have it), and unavailable if it failed
//     (we cannot tell), with Retry-After until the next fetch may start.
type keySet struct {
	issuer   string
	jwksURL  string // configured; "" means discover it from the issuer
	client   *http.Client
	now      func() time.Time
	minGap   time.Duration
	maxAge   time.Duration
	timeout  time.Duration
	log      *slog.Logger
	unknownK challenger

	mu         sync.Mutex
	keys       []publicKey
	discovered string        // jwks_uri found by discovery
	fetchedAt  time.Time     // last successful fetch
	attemptAt  time.Time     // last fetch start
	lastErr    error         // result of the last finished fetch
	inflight   chan struct{} // closed when the running fetch ends; nil if none
}

// errKidType is returned for a kid header that is not a string.
var errKidType = errors.New("kid header is not a string")

// lookup returns the cached keys that can verify a token with this kid (""
// matches every key) and alg, fetching per the policy above.
func (s *keySet) lookup(ctx context.Context, kid, alg string) ([]crypto.PublicKey, error) {
	for round := 0; ; round++ {
		s.mu.Lock()
		now := s.now()
		found := s.matchLocked(kid, alg)
		fresh := !s.fetchedAt.IsZero() && now.Sub(s.fetchedAt) < s.maxAge
		if len(found) > 0 && (fresh || round > 0) {
			s.mu.Unlock()
			return found, nil
		}
		if round > 0 {
			err := s.missLocked(now)
			s.mu.Unlock()
			return nil, err
		}
		switch {
		case s.inflight != nil:
			if len(found) > 0 { // stale but usable; the running fetch refreshes
				s.mu.Unlock()
				return found, nil
			}
			wait := s.inflight
			s.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, &Error{Code: apierr.Unavailable, Message: "signing keys are being fetched; retry", RetryAfter: time.Second, Err: ctx.Err()}
			}
		case !s.attemptAt.IsZero() && now.Sub(s.attemptAt) < s.minGap:
			if len(found) > 0 { // stale, but a fetch ran moments ago
				s.mu.Unlock()
				return found, nil
			}
			err := s.missLocked(now)
			s.mu.Unlock()
			return nil, err
		default:
			done := s.startLocked(now)
			s.mu.Unlock()
			s.refresh(ctx, done)
		}
	}
}

// prefetch starts a fetch unless one is running or ran within minGap, and
// returns the result of the latest fetch.
func (s *keySet) prefetch(ctx context.Context) error {
	s.mu.Lock()
	now := s.now()
	if s.inflight == nil && (s.attemptAt.IsZero() || now.Sub(s.attemptAt) >= s.minGap) {
		done := s.startLocked(now)
		s.mu.Unlock()
		s.refresh(ctx, done)
		s.mu.Lock()
	}
	err := s.lastErr
	s.mu.Unlock()
	return err
}

// startLocked records the start of a fetch; the caller must then call refresh
// with the returned channel.
func (s *keySet) startLocked(now time.Time) chan struct{} {
	done := make(chan struct{})
	s.inflight = done
	s.attemptAt = now
	return done
}

// matchLocked returns the keys fitting kid and alg.
func (s *keySet) matchLocked(kid, alg string) []crypto.PublicKey {
	var out []crypto.PublicKey
	for _, k := range s.keys {
		if (kid == "" || k.kid == kid) && k.fits(alg) {
			out = append(out, k.key)
		}
	}
	return out
}

// missLocked is the refusal for a kid not found after the latest fetch.
func (s *keySet) missLocked(now time.Time) error {
	if s.lastErr != nil {
		wait := s.minGap - now.Sub(s.attemptAt)
		return &Error{
			Code:       apierr.Unavailable,
			Message:    "the issuer's signing keys cannot be fetched; retry later",
			RetryAfter: max(wait, time.Second),
			Err:        s.lastErr,
		}
	}
	return s.unknownK.invalid("token signed with an unknown key", nil)
}

// refresh fetches the key set and records the result. It runs detached from
// the request's cancellation (other requests may wait on it) but bounded by
// s.timeout.
func (s *keySet) refresh(ctx context.Context, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	var (
		keys []publicKey
		url  string
		err  error
	)
	defer func() {
		s.mu.Lock()
		if err == nil {
			s.keys, s.fetchedAt, s.discovered = keys, s.now(), url
		} else {
			s.discovered = "" // discover again next time, in case jwks_uri moved
		}
		s.lastErr = err
		s.inflight = nil
		close(done)
		s.mu.Unlock()
	}()
	url, err = s.jwksLocation(ctx)
	if err == nil {
		keys, err = s.fetchKeys(ctx, url)
	}
	if err != nil {
		s.log.WarnContext(ctx, "fetching the issuer's signing keys failed; cached keys stay in use",
			"issuer", s.issuer, "error", err.Error())
		return
	}
	s.log.InfoContext(ctx, "fetched the issuer's signing keys", "issuer", s.issuer, "jwks_uri", url, "keys", len(keys))
}

// jwksLocation returns the configured JWKS URL, or the one found by OpenID
// Connect discovery (issuer + "/.well-known/openid-configuration"), whose
// "issuer" must equal ours exactly.
func (s *keySet) jwksLocation(ctx context.Context) (string, error) {
	if s.jwksURL != "" {
		return s.jwksURL, nil
	}
	s.mu.Lock()
	d := s.discovered
	s.mu.Unlock()
	if d != "" {
		return d, nil
	}
	body, err := s.get(ctx, strings.TrimSuffix(s.issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("discovery document is not JSON: %w", err)
	}
	if doc.Issuer != s.issuer {
		return "", fmt.Errorf("discovery document names issuer %q, want %q", doc.Issuer, s.issuer)
	}
	if err := checkEndpointURL(doc.JWKSURI, isLoopbackURL(s.issuer)); err != nil {
		return "", fmt.Errorf("discovery document jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}

func (s *keySet) fetchKeys(ctx context.Context, url string) ([]publicKey, error) {
	body, err := s.get(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	return parseJWKS(body)
}

// get fetches url, requiring 200 and a body of at most maxJWKSBodyLen bytes.
// Redirects follow sameHostRedirects. Errors name the URL without user info.
func (s *keySet) get(ctx context.Context, url string) ([]byte, error) {
	shown := redactURL(url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: not a valid URL", shown)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, user info included
		}
		return nil, fmt.Errorf("GET %s: %w", shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("GET %s: status %d", shown, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBodyLen+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", shown, err)
	}
	if len(body) > maxJWKSBodyLen {
		return nil, fmt.Errorf("GET %s: body larger than %d bytes", shown, maxJWKSBodyLen)
	}
	return body, nil
}
