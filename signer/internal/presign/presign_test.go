package presign

import (
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var (
	testTime   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testTarget = Target{Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", Bucket: "test-bucket", PathStyle: true}
)

func newTestPresigner(t testing.TB) *Presigner {
	t.Helper()
	p, err := New(testTarget)
	if err != nil {
		t.Fatalf("New(%+v): %v", testTarget, err)
	}
	return p
}

// TestSignedHeaders pins X-Amz-SignedHeaders for each header combination the
// service issues, whatever order the headers are given in.
func TestSignedHeaders(t *testing.T) {
	ct := Header{"content-type", "image/png"}
	cl := Header{"content-length", "1234"}
	inm := Header{"if-none-match", "*"}
	sum := Header{"x-amz-checksum-sha256", emptySHA256}
	tests := []struct {
		name    string
		method  string
		headers []Header
		want    string
	}{
		{"get", "GET", nil, "host"},
		{"put bare", "PUT", nil, "host"},
		{"put type", "PUT", []Header{ct}, "content-type;host"},
		{"put type length", "PUT", []Header{cl, ct}, "content-length;content-type;host"},
		{"put type overwrite-refuse", "PUT", []Header{inm, ct}, "content-type;host;if-none-match"},
		{"put type checksum", "PUT", []Header{sum, ct}, "content-type;host;x-amz-checksum-sha256"},
		{"put length checksum", "PUT", []Header{sum, cl}, "content-length;host;x-amz-checksum-sha256"},
		{"put all", "PUT", []Header{sum, inm, cl, ct}, "content-length;content-type;host;if-none-match;x-amz-checksum-sha256"},
		{"put all other order", "PUT", []Header{ct, cl, inm, sum}, "content-length;content-type;host;if-none-match;x-amz-checksum-sha256"},
		{"upload part", "PUT", []Header{cl}, "content-length;host"},
	}
	p := newTestPresigner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := p.Presign(testCreds[0].creds, testTime, Request{Method: tt.method, Key: "k", Headers: tt.headers, Expires: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if got := signedHeaderNames(t, u); got != tt.want {
				t.Errorf("X-Amz-SignedHeaders = %q, want %q", got, tt.want)
			}
			parsed, _ := url.Parse(u)
			for _, h := range tt.headers {
				if parsed.Query().Has(h.Name) {
					t.Errorf("header %q also appears in the query", h.Name)
				}
			}
		})
	}
}

// TestURLShape checks path-style and virtual-hosted URLs and the session
// token parameter.
func TestURLShape(t *testing.T) {
	tests := []struct {
		name   string
		target Target
		creds  aws.Credentials
		prefix string
		token  bool
	}{
		{"path-style", testTarget, testCreds[0].creds, "http://127.0.0.1:7070/test-bucket/dir/a%20b.txt?", false},
		{"virtual-hosted", Target{Endpoint: "https://s3.eu-west-1.amazonaws.com", Region: "eu-west-1", Bucket: "b-1"}, testCreds[0].creds, "https://b-1.s3.eu-west-1.amazonaws.com/dir/a%20b.txt?", false},
		{"session token", testTarget, testCreds[1].creds, "http://127.0.0.1:7070/test-bucket/dir/a%20b.txt?", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			u, err := p.Presign(tt.creds, testTime, Request{Method: "GET", Key: "dir/a b.txt", Expires: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(u, tt.prefix) {
				t.Errorf("got %s, want prefix %s", redact(u), tt.prefix)
			}
			parsed, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			if got := parsed.Query().Get("X-Amz-Security-Token"); (got != "") != tt.token || (tt.token && got != tt.creds.SessionToken) {
				t.Errorf("X-Amz-Security-Token = %q, want token present: %v", got, tt.token)
			}
		})
	}
}

// TestPresignRejects checks that bad input gives an error wrapping the right
// sentinel and no URL; the first row is the control that succeeds.
func TestPresignRejects(t *testing.T) {
	ok := Request{Method: "PUT", Key: "k", Expires: time.Minute, Headers: []Header{{"content-type", "text/plain"}}, Query: []Param{{"x-id", "PutObject"}}}
	with := func(f func(*Request)) Request {
		r := ok
		r.Headers = append([]Header(nil), ok.Headers...)
		r.Query = append([]Param(nil), ok.Query...)
		f(&r)
		return r
	}
	tests := []struct {
		name  string
		creds aws.Credentials
		now   time.Time
		req   Request
		want  error // nil: must succeed
	}{
		{"control", testCreds[0].creds, testTime, ok, nil},
		{"control 1s", testCreds[0].creds, testTime, with(func(r *Request) { r.Expires = time.Second }), nil},
		{"control 7d", testCreds[0].creds, testTime, with(func(r *Request) { r.Expires = MaxExpires }), nil},
		{"control 1024-byte key", testCreds[0].creds, testTime, with(func(r *Request) { r.Key = strings.Repeat("k", MaxKeyLen) }), nil},
		{"expires zero", testCreds[0].creds, testTime, with(func(r *Request) { r.Expires = 0 }), ErrInvalidRequest},
		{"expires under a second", testCreds[0].creds, testTime, with(func(r *Request) { r.Expires = 999 * time.Millisecond }), ErrInvalidRequest},
		{"expires negative", testCreds[0].creds, testTime, with(func(r *Request) { r.Expires = -time.Minute }), ErrInvalidRequest},
		{"expires over 7 days", testCreds[0].creds, testTime, with(func(r *Request) { r.Expires = MaxExpires + time.Second }), ErrInvalidRequest},
		{"method DELETE", testCreds[0].creds, testTime, with(func(r *Request) { r.Method = "DELETE" }), ErrInvalidRequest},
		{"method lower case", testCreds[0].creds, testTime, with(func(r *Request) { r.Method = "put" }), ErrInvalidRequest},
		{"empty key", testCreds[0].creds, testTime, with(func(r *Request) { r.Key = "" }), ErrInvalidRequest},
		{"key too long", testCreds[0].creds, testTime, with(func(r *Request) { r.Key = strings.Repeat("k", MaxKeyLen+1) }), ErrInvalidRequest},
		{"key not UTF-8", testCreds[0].creds, testTime, with(func(r *Request) { r.Key = "a\xffb" }), ErrInvalidRequest},
		{"header upper case", testCreds[0].creds, testTime, with(func(r *Request) { r.Headers[0].Name = "Content-Type" }), ErrInvalidRequest},
		{"header empty name", testCreds[0].creds, testTime, with(func(r *Request) { r.Headers[0].Name = "" }), ErrInvalidRequest},
		{"header host", testCreds[0].creds, testTime, with(func(r *Request) { r.Headers = append(r.Headers, Header{"host", "evil.example"}) }), ErrInvalidRequest},
		{"header authorization", testCreds[0].creds, testTime, with(func(r *Request) { r.Headers = append(r.Headers, Header{"authorization", "x"}) }), ErrInvalidRequest},
		{"header x-amz-date", testCreds[0].creds, testTime, with(func(r *Request) { r.Headers = append(r.Headers, Header{"x-amz-date", "x"}) }), ErrInvalidRequest},
		{"header twice", testCreds[0].creds, testTime, with(func(r *Request) { r.Headers = append(r.Headers, Header{"content-type", "a/b"}) }), ErrInvalidRequest},
		{"header value newline", testCreds[0].creds, testTime, with(func(r *Request) { r.Headers[0].Value = "text/plain\r\nx-evil: 1" }), ErrInvalidRequest},
		{"header value tab", testCreds[0].creds, testTime, with(func(r *Request) { r.Headers[0].Value = "text/plain;\tx=1" }), ErrInvalidRequest},
		{"query empty name", testCreds[0].creds, testTime, with(func(r *Request) { r.Query = append(r.Query, Param{"", "v"}) }), ErrInvalidRequest},
		{"query twice", testCreds[0].creds, testTime, with(func(r *Request) { r.Query = append(r.Query, Param{"x-id", "GetObject"}) }), ErrInvalidRequest},
		{"query x-amz", testCreds[0].creds, testTime, with(func(r *Request) { r.Query = append(r.Query, Param{"x-amz-checksum-sha256", emptySHA256}) }), ErrInvalidRequest},
		{"query X-Amz-Expires override", testCreds[0].creds, testTime, with(func(r *Request) { r.Query = append(r.Query, Param{"X-Amz-Expires", "999999"}) }), ErrInvalidRequest},
		{"query X-Amz-Signature", testCreds[0].creds, testTime, with(func(r *Request) { r.Query = append(r.Query, Param{"X-Amz-Signature", "0"}) }), ErrInvalidRequest},
		{"time year 10000", testCreds[0].creds, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), ok, ErrInvalidRequest},
		{"no access key", aws.Credentials{SecretAccessKey: "s"}, testTime, ok, ErrInvalidCredentials},
		{"no secret", aws.Credentials{AccessKeyID: "a"}, testTime, ok, ErrInvalidCredentials},
		{"access key with slash", aws.Credentials{AccessKeyID: "a/b", SecretAccessKey: "s"}, testTime, ok, ErrInvalidCredentials},
	}
	p := newTestPresigner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := p.Presign(tt.creds, tt.now, tt.req)
			if tt.want == nil {
				if err != nil || u == "" {
					t.Fatalf("got (%q, %v), want a URL", redact(u), err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
			if u != "" {
				t.Errorf("URL = %q, want none with an error", redact(u))
			}
		})
	}
}

// TestNewRejects checks Target validation; every problem is reported.
func TestNewRejects(t *testing.T) {
	tests := []struct {
		name   string
		target Target
		ok     bool
		want   []string // substrings of the error
	}{
		{"control path-style", testTarget, true, nil},
		{"control virtual-hosted", Target{Endpoint: "https://s3.amazonaws.com", Region: "us-east-1", Bucket: "a-b"}, true, nil},
		{"control dotted bucket over http", Target{Endpoint: "http://localhost:9000", Region: "us-east-1", Bucket: "a.b.c"}, true, nil},
		{"control ipv6 endpoint", Target{Endpoint: "http://[::1]:7070", Region: "us-east-1", Bucket: "bkt", PathStyle: true}, true, nil},
		{"empty", Target{}, false, []string{"region is empty", "bucket \"\"", "endpoint \"\""}},
		{"region chars", Target{Endpoint: "https://s3.amazonaws.com", Region: "US East", Bucket: "bkt"}, false, []string{"region"}},
		{"bucket short", Target{Endpoint: "https://s3.amazonaws.com", Region: "us-east-1", Bucket: "ab"}, false, []string{"3-63"}},
		{"bucket upper", Target{Endpoint: "https://s3.amazonaws.com", Region: "us-east-1", Bucket: "MyBucket"}, false, []string{"a-z 0-9"}},
		{"bucket edge dash", Target{Endpoint: "https://s3.amazonaws.com", Region: "us-east-1", Bucket: "-abc"}, false, []string{"start and end"}},
		{"bucket double dot", Target{Endpoint: "http://s3.local", Region: "us-east-1", Bucket: "a..b"}, false, []string{"two dots"}},
		{"dotted bucket virtual https", Target{Endpoint: "https://s3.amazonaws.com", Region: "us-east-1", Bucket: "a.b.c"}, false, []string{"path-style"}},
		{"endpoint scheme", Target{Endpoint: "ftp://s3.amazonaws.com", Region: "us-east-1", Bucket: "bkt"}, false, []string{"scheme"}},
		{"endpoint no scheme", Target{Endpoint: "s3.amazonaws.com", Region: "us-east-1", Bucket: "bkt"}, false, []string{"scheme"}},
		{"endpoint path", Target{Endpoint: "https://s3.amazonaws.com/base", Region: "us-east-1", Bucket: "bkt"}, false, []string{"without path"}},
		{"endpoint query", Target{Endpoint: "https://s3.amazonaws.com?x=1", Region: "us-east-1", Bucket: "bkt"}, false, []string{"without path"}},
		{"endpoint user", Target{Endpoint: "https://u:p@s3.amazonaws.com", Region: "us-east-1", Bucket: "bkt"}, false, []string{"user info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.target)
			if tt.ok {
				if err != nil || p == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidTarget) || p != nil {
				t.Fatalf("New = (%v, %v), want nil and ErrInvalidTarget", p, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestSigningKeyCache checks that the key is derived once per credentials and
// day, and replaced when either changes.
func TestSigningKeyCache(t *testing.T) {
	p := newTestPresigner(t)
	r := Request{Method: "GET", Key: "k", Expires: time.Minute}
	sign := func(c aws.Credentials, at time.Time) *signingKey {
		t.Helper()
		if _, err := p.Presign(c, at, r); err != nil {
			t.Fatal(err)
		}
		return p.key.Load()
	}
	a := testCreds[0].creds
	k1 := sign(a, testTime)
	if k2 := sign(a, testTime.Add(11*time.Hour)); k2 != k1 {
		t.Error("same day, same credentials: key was derived again")
	}
	if k3 := sign(a, testTime.Add(12*time.Hour)); k3 == k1 || string(k3.date[:]) != "20260302" {
		t.Errorf("next day: key not replaced (date %s)", k3.date)
	}
	rotated := a
	rotated.SecretAccessKey += "x"
	if k4 := sign(rotated, testTime.Add(12*time.Hour)); k4.secret != rotated.SecretAccessKey {
		t.Error("secret changed: key not replaced")
	}
	other := aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: rotated.SecretAccessKey}
	if k5 := sign(other, testTime.Add(12*time.Hour)); k5.accessKeyID != "AKIDOTHER" {
		t.Error("access key changed: key not replaced")
	}
}

// TestPresignConcurrent signs with two credentials on two days from many
// goroutines (run with -race) and checks every URL against a sequential
// reference from a fresh Presigner.
func TestPresignConcurrent(t *testing.T) {
	type input struct {
		creds aws.Credentials
		at    time.Time
	}
	inputs := []input{
		{testCreds[0].creds, testTime}, {testCreds[1].creds, testTime},
		{testCreds[0].creds, testTime.AddDate(0, 0, 1)}, {testCreds[1].creds, testTime.AddDate(0, 0, 1)},
	}
	req := Request{Method: "PUT", Key: "c/κ.txt", Expires: time.Hour, Headers: []Header{{"content-type", "text/plain"}, {"content-length", "3"}}}
	want := make([]string, len(inputs))
	for i, in := range inputs {
		var err error
		if want[i], err = newTestPresigner(t).Presign(in.creds, in.at, req); err != nil {
			t.Fatal(err)
		}
	}
	p := newTestPresigner(t)
	var wg sync.WaitGroup
	errs := make(chan string, 8*200)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				n := (g + i) % len(inputs)
				got, err := p.Presign(inputs[n].creds, inputs[n].at, req)
				if err != nil || got != want[n] {
					errs <- redact(got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent Presign differs from sequential: %s", e)
	}
}

// TestPresignAllocs guards the allocation budget without timing: one PUT
// presign with every header allocates at most 2 times (the target is 1, the
// returned string).
func TestPresignAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	p := newTestPresigner(t)
	r := benchRequests["PUT"]
	creds := testCreds[1].creds
	if _, err := p.Presign(creds, testTime, r); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := p.Presign(creds, testTime, r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("Presign allocates %.1f times per call, want at most 2", allocs)
	}
	t.Logf("allocs per PUT presign: %.1f", allocs)
}
