package uploadtoken

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

var (
	testSecret = bytes.Repeat([]byte{7}, MinKeyBytes)
	testNow    = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func newSigner(t testing.TB, secret []byte) *Signer {
	t.Helper()
	s, err := New(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testClaims() Claims {
	return Claims{
		UploadID: "upload-1", Caller: "alice", Key: "uploads/alice/aaaaaaaaaaaaaaaaaaaaaaaaaa/big file.bin",
		Size: 12 << 20, PartSize: 5 << 20, Expires: testNow.Add(24 * time.Hour),
	}
}

// wantCode checks that err is an *apierr.Error with the code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
}

func TestRoundTrip(t *testing.T) {
	s := newSigner(t, testSecret)
	for _, c := range []Claims{
		testClaims(),
		{UploadID: "u", Caller: "", Key: "uploads/k", Expires: testNow.Add(time.Second)},
		{UploadID: strings.Repeat("x", 300), Caller: "bob@example.com", Key: "uploads/" + strings.Repeat("ü", 500), Size: 1 << 45, PartSize: 5 << 30, Expires: testNow.Add(time.Hour)},
	} {
		tok := s.Sign(c)
		if strings.ContainsAny(tok, "+/= ") {
			t.Errorf("token %q is not URL-safe", tok)
		}
		got, err := s.Verify(tok, c.UploadID, c.Caller, testNow)
		if err != nil {
			t.Fatalf("Verify(own token): %v", err)
		}
		if got != c {
			t.Errorf("claims = %+v, want %+v", got, c)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	s := newSigner(t, testSecret)
	c := testClaims()
	tok := s.Sign(c)
	payload, mac, _ := strings.Cut(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	otherKey := append(bytes.Clone(raw[:len(raw)-3]), "xyz"...)
	biggerSize := s.Sign(Claims{UploadID: c.UploadID, Caller: c.Caller, Key: c.Key, Size: c.Size + 1, PartSize: c.PartSize, Expires: c.Expires})
	_, biggerMAC, _ := strings.Cut(biggerSize, ".")

	tests := []struct {
		name, token, uploadID, caller string
		now                           time.Time
		code                          string // "" for the control
	}{
		{name: "control: as issued", token: tok, uploadID: c.UploadID, caller: c.Caller, now: testNow},
		{name: "control: one second before expiry", token: tok, uploadID: c.UploadID, caller: c.Caller, now: c.Expires.Add(-time.Second)},
		{name: "other upload id", token: tok, uploadID: "upload-2", caller: c.Caller, now: testNow, code: apierr.Forbidden},
		{name: "other caller", token: tok, uploadID: c.UploadID, caller: "mallory", now: testNow, code: apierr.Forbidden},
		{name: "anonymous caller", token: tok, uploadID: c.UploadID, caller: "", now: testNow, code: apierr.Forbidden},
		{name: "key changed in the payload", token: base64.RawURLEncoding.EncodeToString(otherKey) + "." + mac, uploadID: c.UploadID, caller: c.Caller, now: testNow, code: apierr.Forbidden},
		{name: "MAC of a bigger size", token: payload + "." + biggerMAC, uploadID: c.UploadID, caller: c.Caller, now: testNow, code: apierr.Forbidden},
		{name: "other secret", token: newSigner(t, bytes.Repeat([]byte{8}, MinKeyBytes)).Sign(c), uploadID: c.UploadID, caller: c.Caller, now: testNow, code: apierr.Forbidden},
		{name: "at expiry", token: tok, uploadID: c.UploadID, caller: c.Caller, now: c.Expires, code: apierr.Forbidden},
		{name: "empty", token: "", uploadID: c.UploadID, now: testNow, code: apierr.Invalid},
		{name: "no dot", token: payload, uploadID: c.UploadID, now: testNow, code: apierr.Invalid},
		{name: "not base64", token: "!!." + mac, uploadID: c.UploadID, now: testNow, code: apierr.Invalid},
		{name: "short MAC", token: payload + "." + mac[:10], uploadID: c.UploadID, now: testNow, code: apierr.Invalid},
		{name: "padded", token: tok + "=", uploadID: c.UploadID, now: testNow, code: apierr.Invalid},
		{name: "too long", token: strings.Repeat("a", MaxTokenBytes+1), uploadID: c.UploadID, now: testNow, code: apierr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Verify(tt.token, tt.uploadID, tt.caller, tt.now)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v, want success", err)
				}
				return
			}
			wantCode(t, err, tt.code)
			if IsMalformed(err) != (tt.code == apierr.Invalid) {
				t.Errorf("IsMalformed = %v for code %s", IsMalformed(err), tt.code)
			}
		})
	}
}

func TestNew(t *testing.T) {
	if _, err := New(testSecret[:MinKeyBytes-1]); err == nil {
		t.Error("New accepted a 31-byte secret")
	}
	a, err := NewRandom()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewRandom()
	if err != nil {
		t.Fatal(err)
	}
	c := testClaims()
	if _, err := b.Verify(a.Sign(c), c.UploadID, c.Caller, testNow); err == nil {
		t.Error("two random signers share a secret")
	}
	// The secret is copied: changing the caller's slice changes nothing.
	secret := bytes.Clone(testSecret)
	s := newSigner(t, secret)
	tok := s.Sign(c)
	secret[0]++
	if _, err := s.Verify(tok, c.UploadID, c.Caller, testNow); err != nil {
		t.Errorf("after changing the caller's secret slice: %v", err)
	}
}

// FuzzVerify: no input makes Verify panic or accept a token the signer did
// not issue for that upload and caller.
func FuzzVerify(f *testing.F) {
	s := newSigner(f, testSecret)
	c := testClaims()
	f.Add(s.Sign(c), c.UploadID, c.Caller)
	f.Add("AQ.AA", "u", "")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, token, uploadID, caller string) {
		got, err := s.Verify(token, uploadID, caller, testNow)
		if err != nil {
			var e *apierr.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *apierr.Error", err)
			}
			return
		}
		if s.Sign(got) != token {
			t.Fatalf("accepted %q, which Sign does not produce for %+v", token, got)
		}
	})
}

func BenchmarkSignVerify(b *testing.B) {
	s := newSigner(b, testSecret)
	c := testClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(s.Sign(c), c.UploadID, c.Caller, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
