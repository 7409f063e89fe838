package creds

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// provider is a switchable credentials provider that counts its calls.
type provider struct {
	mu    sync.Mutex
	calls int
	next  aws.Credentials
	err   error
	block chan struct{} // when set, Retrieve waits for it to close
}

func (p *provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	p.calls++
	block := p.block
	p.mu.Unlock()
	if block != nil {
		<-block
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next, p.err
}

func (p *provider) set(c aws.Credentials, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next, p.err = c, err
}

func (p *provider) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

func static() aws.Credentials {
	return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "SECRET"}
}

func expiring(at time.Time) aws.Credentials {
	return aws.Credentials{AccessKeyID: "ASIA", SecretAccessKey: "SECRET", SessionToken: "TOKEN", CanExpire: true, Expires: at}
}

func wantUnavailable(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.ErrorCode() != apierr.Unavailable {
		t.Fatalf("got %v, want an unavailable *Error", err)
	}
}

func TestStaticCredentialsAreCached(t *testing.T) {
	p := &provider{next: static()}
	s := New(p)
	for range 5 {
		c, err := s.Retrieve(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID != "AKID" || !Expiry(c).IsZero() {
			t.Fatalf("got %+v", c)
		}
	}
	if got := p.count(); got != 1 {
		t.Errorf("provider called %d times, want 1", got)
	}
	if err := s.Ready(context.Background(), time.Now()); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

func TestExpiringCredentialsKeepTheirTrueExpiry(t *testing.T) {
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	p := &provider{next: expiring(exp)}
	s := New(p)
	for range 3 {
		c, err := s.Retrieve(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !c.Expires.Equal(exp) {
			t.Fatalf("got Expires %s, want %s", c.Expires, exp)
		}
	}
	if got := p.count(); got != 1 {
		t.Errorf("provider called %d times, want 1", got)
	}
}

func TestCredentialsInsideTheWindowAreRefreshed(t *testing.T) {
	soon := time.Now().Add(RefreshWindow / 2)
	p := &provider{next: expiring(soon)}
	s := New(p)
	c, err := s.Retrieve(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Expires.Equal(soon) {
		t.Fatalf("got Expires %s, want %s", c.Expires, soon)
	}
	// Still inside the window: the next call asks the provider again and
	// picks up rotated credentials.
	later := time.Now().Add(6 * time.Hour)
	p.set(expiring(later), nil)
	c, err = s.Retrieve(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Expires.Equal(later) {
		t.Fatalf("after rotation got Expires %s, want %s", c.Expires, later)
	}
	if got := p.count(); got != 2 {
		t.Errorf("provider called %d times, want 2", got)
	}
}

func TestProviderFailure(t *testing.T) {
	p := &provider{err: errors.New("endpoint down")}
	s := New(p)
	_, err := s.Retrieve(context.Background(), time.Now())
	wantUnavailable(t, err)
	wantUnavailable(t, s.Ready(context.Background(), time.Now()))
	// Recovers without a restart once the provider answers.
	p.set(static(), nil)
	if _, err := s.Retrieve(context.Background(), time.Now()); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestExpiredCredentialsAreRefused(t *testing.T) {
	now := time.Now()
	p := &provider{next: expiring(now.Add(-time.Second))}
	_, err := New(p).Retrieve(context.Background(), now)
	wantUnavailable(t, err)
	// Control: the same credentials judged a little earlier are fine.
	if _, err := New(&provider{next: expiring(now.Add(time.Minute))}).Retrieve(context.Background(), now); err != nil {
		t.Fatalf("control: %v", err)
	}
}

func TestReadyNeedsMargin(t *testing.T) {
	now := time.Now()
	wantUnavailable(t, New(&provider{next: expiring(now.Add(ReadyMargin - time.Second))}).Ready(context.Background(), now))
	if err := New(&provider{next: expiring(now.Add(ReadyMargin + time.Minute))}).Ready(context.Background(), now); err != nil {
		t.Fatalf("control: %v", err)
	}
}

func TestSlowProviderIsBoundedByContext(t *testing.T) {
	block := make(chan struct{})
	p := &provider{next: static(), block: block}
	s := New(p)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Retrieve(ctx, time.Now())
	wantUnavailable(t, err)
	close(block)
	if _, err := s.Retrieve(context.Background(), time.Now()); err != nil {
		t.Fatalf("after the provider answers: %v", err)
	}
}

func TestWrapsExistingCacheAsIs(t *testing.T) {
	p := &provider{next: static()}
	cache := aws.NewCredentialsCache(p, CacheOptions)
	s := New(cache)
	if s.cache != cache {
		t.Fatal("an existing cache was wrapped again")
	}
}

func BenchmarkRetrieve(b *testing.B) {
	s := New(&provider{next: expiring(time.Now().Add(time.Hour))})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Retrieve(ctx, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
