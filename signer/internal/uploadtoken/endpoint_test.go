package uploadtoken

import (
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

func TestEndpointTokens(t *testing.T) {
	s, err := New([]byte(strings.Repeat("k", MinKeyBytes)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	exp := now.Add(5 * time.Minute)
	tok := s.SignEndpoint("alice", exp)

	// Control: the token names its caller until it expires.
	caller, got, err := s.VerifyEndpoint(tok, now)
	if err != nil || caller != "alice" || !got.Equal(exp) {
		t.Fatalf("VerifyEndpoint = %q, %v, %v; want alice, %v, nil", caller, got, err, exp)
	}
	anon := s.SignEndpoint("", exp)
	if caller, _, err := s.VerifyEndpoint(anon, now); err != nil || caller != "" {
		t.Fatalf("anonymous endpoint: %q, %v", caller, err)
	}

	p64, m64, _ := strings.Cut(tok, ".")
	other, _ := New([]byte(strings.Repeat("o", MinKeyBytes)))
	bob := s.SignEndpoint("bob", exp)
	bobPayload, _, _ := strings.Cut(bob, ".")
	upload := s.Sign(Claims{UploadID: "", Caller: "", Key: "alice", Expires: exp})
	refused := map[string]struct {
		token string
		at    time.Time
	}{
		"expired":                    {tok, exp},
		"caller swapped":             {bobPayload + "." + m64, now},
		"mac flipped":                {p64 + "." + flip(m64), now},
		"another secret":             {other.SignEndpoint("alice", exp), now},
		"upload token (other label)": {upload, now},
		"no dot":                     {p64 + m64, now},
		"empty":                      {"", now},
		"newline":                    {tok + "\n", now},
	}
	for name, tt := range refused {
		t.Run(name, func(t *testing.T) {
			_, _, err := s.VerifyEndpoint(tt.token, tt.at)
			if err == nil {
				t.Fatal("accepted")
			}
			var e *apierr.Error
			if !asError(err, &e) || e.Code != apierr.Forbidden {
				t.Errorf("error %v, want forbidden", err)
			}
		})
	}
	// And the other way: an endpoint token is not an upload token.
	if _, err := s.Verify(tok, "", "", now); err == nil {
		t.Error("an endpoint token passed as an upload token")
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func asError(err error, e **apierr.Error) bool {
	v, ok := err.(*apierr.Error)
	*e = v
	return ok
}
