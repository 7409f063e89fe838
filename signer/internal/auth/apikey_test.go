package auth

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

func TestNewAPIKey(t *testing.T) {
	seed := bytes.Repeat([]byte{0xfb}, 32)
	key, line, err := NewAPIKey("alice", bytes.NewReader(seed))
	if err != nil {
		t.Fatalf("NewAPIKey: %v", err)
	}
	if want := "s3p_-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s"; key != want {
		t.Errorf("key = %q, want %q (s3p_ + base64url of the 32 bytes)", key, want)
	}
	if len(key) != 47 {
		t.Errorf("key is %d bytes, want 47", len(key))
	}
	if want := "alice:" + HashAPIKey(key); line != want {
		t.Errorf("hash line = %q, want %q", line, want)
	}
	if strings.Contains(line, key) {
		t.Error("hash line contains the key")
	}
	lines, err := authconfig.ParseKeyLines(line)
	if err != nil || lines[0].Name != "alice" {
		t.Fatalf("hash line does not parse back: %v", err)
	}
	a, err := NewAPIKeys(line, "")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := a.Authenticate(bearerRequest(key)); err != nil || c.Name != "alice" {
		t.Fatalf("the new key does not authenticate: %+v, %v", c, err)
	}

	other, _, _ := NewAPIKey("alice", bytes.NewReader(bytes.Repeat([]byte{1}, 32)))
	if other == key {
		t.Error("different random bytes gave the same key")
	}
}

func TestNewAPIKeyRefuses(t *testing.T) {
	if _, _, err := NewAPIKey("../bob", bytes.NewReader(make([]byte, 32))); err == nil {
		t.Error("NewAPIKey accepted an unsafe caller name")
	}
	if _, _, err := NewAPIKey("bob", bytes.NewReader(make([]byte, 31))); err == nil {
		t.Error("NewAPIKey accepted a short random read")
	}
	if _, _, err := NewAPIKey("bob", iotest.ErrReader(errors.New("no entropy"))); err == nil {
		t.Error("NewAPIKey ignored a failing random source")
	}
}

func newKeysFor(t *testing.T) (a *APIKeys, aliceKey, aliceOldKey, bobKey string) {
	t.Helper()
	aliceKey, aliceLine, _ := NewAPIKey("alice", bytes.NewReader(bytes.Repeat([]byte{1}, 32)))
	aliceOldKey, aliceOldLine, _ := NewAPIKey("alice", bytes.NewReader(bytes.Repeat([]byte{2}, 32)))
	bobKey, bobLine, _ := NewAPIKey("bob", bytes.NewReader(bytes.Repeat([]byte{3}, 32)))
	a, err := NewAPIKeys("# test keys\n"+aliceLine+":5:10\n"+aliceOldLine+":5:10\n"+bobLine+"\n", "")
	if err != nil {
		t.Fatalf("NewAPIKeys: %v", err)
	}
	return a, aliceKey, aliceOldKey, bobKey
}

func TestAPIKeysAuthenticate(t *testing.T) {
	a, aliceKey, aliceOldKey, bobKey := newKeysFor(t)
	tests := []struct {
		name      string
		header    map[string][]string
		wantName  string
		wantLimit authconfig.Limit
		wantCode  string
		wantChal  string // prefix of WWW-Authenticate
	}{
		{name: "alice's key (control)", header: map[string][]string{"Authorization": {"Bearer " + aliceKey}}, wantName: "alice", wantLimit: authconfig.Limit{PerSecond: 5, Burst: 10}},
		{name: "alice's second key, while rotating", header: map[string][]string{"Authorization": {"Bearer " + aliceOldKey}}, wantName: "alice", wantLimit: authconfig.Limit{PerSecond: 5, Burst: 10}},
		{name: "bob's key", header: map[string][]string{"Authorization": {"Bearer " + bobKey}}, wantName: "bob"},
		{name: "scheme in lower case", header: map[string][]string{"Authorization": {"bearer " + bobKey}}, wantName: "bob"},
		{name: "wrong key", header: map[string][]string{"Authorization": {"Bearer " + aliceKey[:len(aliceKey)-1] + "x"}}, wantCode: apierr.Unauthorized, wantChal: `Bearer realm="s3presign", error="invalid_token"`},
		{name: "the hash instead of the key", header: map[string][]string{"Authorization": {"Bearer " + HashAPIKey(aliceKey)}}, wantCode: apierr.Unauthorized, wantChal: `Bearer realm="s3presign", error="invalid_token"`},
		{name: "missing header", header: nil, wantCode: apierr.Unauthorized, wantChal: `Bearer realm="s3presign"`},
		{name: "X-Api-Key is not read", header: map[string][]string{"X-Api-Key": {aliceKey}}, wantCode: apierr.Unauthorized, wantChal: `Bearer realm="s3presign"`},
		{name: "Basic scheme", header: map[string][]string{"Authorization": {"Basic " + aliceKey}}, wantCode: apierr.Unauthorized, wantChal: `Bearer realm="s3presign", error="invalid_token"`},
		{name: "two Authorization headers", header: map[string][]string{"Authorization": {"Bearer " + aliceKey, "Bearer " + bobKey}}, wantCode: apierr.Unauthorized},
		{name: "key with trailing junk", header: map[string][]string{"Authorization": {"Bearer " + aliceKey + " x"}}, wantCode: apierr.Unauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/uploads", nil)
			for k, vs := range tt.header {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			c, err := a.Authenticate(r)
			if tt.wantCode == "" {
				if err != nil || c.Name != tt.wantName || c.Limit != tt.wantLimit {
					t.Fatalf("Authenticate = %+v, %v; want caller %q with limit %+v", c, err, tt.wantName, tt.wantLimit)
				}
				return
			}
			if apierr.CodeOf(err) != tt.wantCode {
				t.Fatalf("Authenticate = %+v, %v; want code %q", c, err, tt.wantCode)
			}
			h := http.Header{}
			SetHeaders(h, err)
			if !strings.HasPrefix(h.Get("WWW-Authenticate"), tt.wantChal) {
				t.Errorf("WWW-Authenticate = %q, want prefix %q", h.Get("WWW-Authenticate"), tt.wantChal)
			}
			for _, secret := range []string{aliceKey, aliceOldKey, bobKey, HashAPIKey(aliceKey), "s3p_"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(h.Get("WWW-Authenticate"), secret) {
					t.Errorf("error or challenge carries key material: %q / %q", err, h.Get("WWW-Authenticate"))
				}
			}
		})
	}
}

func TestNewAPIKeysRefusesBadConfig(t *testing.T) {
	if _, err := NewAPIKeys("", ""); err == nil {
		t.Error("NewAPIKeys accepted no keys")
	}
	if _, err := NewAPIKeys("alice:"+HashAPIKey("k"), "bad\"realm"); err == nil {
		t.Error("NewAPIKeys accepted a realm with a quote")
	}
}
