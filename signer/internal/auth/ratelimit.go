package auth

import (
	"container/list"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

// Limiter defaults.
const (
	DefaultMaxEntries = 10000
	DefaultIdleTTL    = 10 * time.Minute
)

// LimiterConfig configures a Limiter.
type LimiterConfig struct {
	// Default is each caller's token bucket. Required.
	Default authconfig.Limit
	// PerIP is the bucket of each client IP, charged by anonymous requests
	// (mode none) and by failed authentications. Zero fields: Default's.
	PerIP authconfig.Limit
	// Overrides gives named callers their own limits; zero fields: Default's.
	// A caller's own Caller.Limit (from its API-key line) comes first.
	Overrides map[string]authconfig.Limit
	// TrustedProxyHops is the number of proxies that append to
	// X-Forwarded-For in front of the signer (see ClientIP).
	TrustedProxyHops int
	// MaxEntries caps the buckets held; the least recently used go first
	// (default 10000).
	MaxEntries int
	// IdleTTL drops buckets unused for this long (default 10m; raised to at
	// least the time an empty bucket takes to refill, so dropping one never
	// grants more than waiting would).
	IdleTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Limiter holds per-caller and per-client-IP token buckets, in bounded memory.
type Limiter struct {
	def, perIP authconfig.Limit
	overrides  map[string]authconfig.Limit
	hops       int
	maxEntries int
	idleTTL    time.Duration
	now        func() time.Time

	mu      sync.Mutex
	buckets map[bucketKey]*list.Element // of *bucket
	lru     list.List                   // front: most recently used
}

type bucket struct {
	key   bucketKey
	lim   *rate.Limiter
	limit authconfig.Limit
	last  time.Time
}

// NewLimiter validates cfg, reporting every problem, and returns a Limiter.
func NewLimiter(cfg LimiterConfig) (*Limiter, error) {
	var errs []error
	if err := cfg.Default.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("default rate limit: %w", err))
	}
	perIP := cfg.PerIP.Or(cfg.Default)
	if err := perIP.Validate(); err != nil && cfg.Default.Validate() == nil {
		errs = append(errs, fmt.Errorf("per-IP rate limit: %w", err))
	}
	overrides := make(map[string]authconfig.Limit, len(cfg.Overrides))
	for name, l := range cfg.Overrides {
		if err := authconfig.ValidName(name); err != nil {
			errs = append(errs, fmt.Errorf("rate limit override: %w", err))
			continue
		}
		if err := l.Or(cfg.Default).Validate(); err != nil && cfg.Default.Validate() == nil {
			errs = append(errs, fmt.Errorf("rate limit override for %q: %w", name, err))
			continue
		}
		overrides[name] = l
	}
	if cfg.TrustedProxyHops < 0 || cfg.TrustedProxyHops > 10 {
		errs = append(errs, fmt.Errorf("trusted proxy hops %d is out of range [0, 10]", cfg.TrustedProxyHops))
	}
	if cfg.MaxEntries < 0 {
		errs = append(errs, fmt.Errorf("max entries %d is negative", cfg.MaxEntries))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l := &Limiter{
		def:        cfg.Default,
		perIP:      perIP,
		overrides:  overrides,
		hops:       cfg.TrustedProxyHops,
		maxEntries: cfg.MaxEntries,
		idleTTL:    cfg.IdleTTL,
		now:        cfg.Now,
		buckets:    map[bucketKey]*list.Element{},
	}
	if l.maxEntries == 0 {
		l.maxEntries = DefaultMaxEntries
	}
	if l.idleTTL <= 0 {
		l.idleTTL = DefaultIdleTTL
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l, nil
}

// AllowCaller charges one request to c's bucket; the anonymous caller is
// charged to the client IP's bucket. It returns nil, or a rate_limited *Error
// with RetryAfter set to when the next request would be allowed.
func (l *Limiter) AllowCaller(r *http.Request, c Caller) error {
	if c.Anonymous() {
		return l.AllowIP(r)
	}
	lim := c.Limit
	if o, ok := l.overrides[c.Name]; ok && lim == (authconfig.Limit{}) {
		lim = o
	}
	return l.allow(bucketKey{caller: c.Name}, lim.Or(l.def))
}

// AllowIP charges one request to the client IP's bucket (see ClientIP).
func (l *Limiter) AllowIP(r *http.Request) error {
	return l.allow(ipBucketKey(ClientIP(r, l.hops)), l.perIP)
}

func (l *Limiter) allow(key bucketKey, limit authconfig.Limit) error {
	l.mu.Lock()
	now := l.now()
	b := l.bucketLocked(key, limit, now)
	ok := b.lim.AllowN(now, 1)
	var wait time.Duration
	if !ok {
		missing := 1 - b.lim.TokensAt(now)
		wait = time.Duration(missing / limit.PerSecond * float64(time.Second))
	}
	l.mu.Unlock()
	if ok {
		return nil
	}
	return &Error{
		Code:       apierr.RateLimited,
		Message:    "too many requests; retry later",
		RetryAfter: max(wait, time.Second),
	}
}

// bucketLocked returns key's bucket, creating it if needed, marking it used,
// and evicting idle buckets and, past MaxEntries, the least recently used.
func (l *Limiter) bucketLocked(key bucketKey, limit authconfig.Limit, now time.Time) *bucket {
	l.sweepLocked(now)
	if e, ok := l.buckets[key]; ok {
		b := e.Value.(*bucket)
		if b.limit == limit {
			b.last = now
			l.lru.MoveToFront(e)
			return b
		}
		l.removeLocked(e) // limits changed: start a bucket with the new ones
	}
	b := &bucket{
		key:   key,
		lim:   rate.NewLimiter(rate.Limit(limit.PerSecond), limit.Burst),
		limit: limit,
		last:  now,
	}
	l.buckets[key] = l.lru.PushFront(b)
	for len(l.buckets) > l.maxEntries {
		l.removeLocked(l.lru.Back())
	}
	return b
}

// sweepLocked drops buckets idle for longer than their TTL, oldest first; it
// stops at the first bucket still in use, so it costs O(dropped).
func (l *Limiter) sweepLocked(now time.Time) {
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		b := e.Value.(*bucket)
		if now.Sub(b.last) <= l.ttl(b.limit) {
			return
		}
		l.removeLocked(e)
	}
}

// ttl is the idle time after which a bucket is full again anyway, or IdleTTL
// if longer.
func (l *Limiter) ttl(limit authconfig.Limit) time.Duration {
	refill := time.Duration(float64(limit.Burst) / limit.PerSecond * float64(time.Second))
	return max(l.idleTTL, refill)
}

func (l *Limiter) removeLocked(e *list.Element) {
	delete(l.buckets, e.Value.(*bucket).key)
	l.lru.Remove(e)
}

// Len returns the number of buckets held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
