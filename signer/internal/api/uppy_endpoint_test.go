package api

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// uppyEndpointServer is the multipart test server in apikey mode with the
// keys of alice and bob, on a clock the test moves.
func uppyEndpointServer(t *testing.T, st *store) (*testServer, map[string]string, *manualClock) {
	t.Helper()
	keys, a := testKeys(t, "alice", "bob")
	clock := &manualClock{now: fixedNow}
	s := newMultipartServer(t, st, func(d *Deps) {
		d.Auth, d.Clock = a, clock.Now
	})
	return s, keys, clock
}

// mint asks POST /v1/uppy for a caller-bound endpoint with key and returns
// its path.
func mint(t *testing.T, s *testServer, key, body string) uppyEndpointResponse {
	t.Helper()
	w := s.do("POST", "/v1/uppy", "application/json", body, bearer(key)...)
	if w.Code != 201 {
		t.Fatalf("mint: %d %s", w.Code, w.Body)
	}
	var r uppyEndpointResponse
	decode(t, w, &r)
	return r
}

// An authenticated caller mints a Companion endpoint; Uppy's calls under it
// carry no Authorization and act as that caller. The plain /s3/* route
// refuses the same call without credentials (the control showing the
// endpoint is what admits it). Forged, altered, foreign-caller and expired
// endpoints get 403 before S3 is called, and no token reaches the log.
func TestUppyCallerBoundEndpoint(t *testing.T) {
	st := &store{}
	s, keys, clock := uppyEndpointServer(t, st)

	// Minting needs the caller's credentials.
	wantError(t, s.do("POST", "/v1/uppy", "application/json", `{}`), 401, apierr.Unauthorized)
	wantError(t, s.do("POST", "/v1/uppy", "application/json", `{}`, bearer("s3p_"+strings.Repeat("A", 43))...), 401, apierr.Unauthorized)

	ep := mint(t, s, keys["alice"], `{}`)
	if !strings.HasPrefix(ep.Path, "/uppy/") || ep.CompanionEndpoint != "http://example.com"+ep.Path {
		t.Fatalf("endpoint %+v, want http://example.com/uppy/<token>", ep)
	}
	if want := fixedNow.Add(5 * time.Minute); !ep.ExpiresAt.Equal(want) {
		t.Errorf("default lifetime: expires %v, want %v (the default URL lifetime)", ep.ExpiresAt, want)
	}
	if long := mint(t, s, keys["alice"], `{"expiresIn":604800}`); !long.ExpiresAt.Equal(fixedNow.Add(time.Hour)) {
		t.Errorf("asked for a week: expires %v, want the 1h maximum URL lifetime", long.ExpiresAt)
	}

	create := `{"filename":"big photo.png","type":"image/png","metadata":{}}`
	w := s.do("POST", ep.Path+"/s3/multipart", "application/json", create)
	if w.Code != 200 {
		t.Fatalf("create through the endpoint: %d %s", w.Code, w.Body)
	}
	var up uppyCreateResponse
	decode(t, w, &up)
	if !strings.HasPrefix(up.Key, "uploads/alice/") {
		t.Errorf("key %q, want it under alice's prefix", up.Key)
	}
	k := "?key=" + url.QueryEscape(up.Key)
	if w := s.do("GET", ep.Path+"/s3/multipart/"+up.UploadID+"/1"+k, "", ""); w.Code != 200 {
		t.Errorf("sign part through the endpoint: %d %s", w.Code, w.Body)
	}
	if w := s.do("GET", ep.Path+"/s3/params?filename=a.png&type=image/png", "", ""); w.Code != 200 {
		t.Errorf("params through the endpoint: %d %s", w.Code, w.Body)
	}
	// Control: the plain Companion route needs credentials Uppy cannot send.
	wantError(t, s.do("POST", "/s3/multipart", "application/json", create), 401, apierr.Unauthorized)

	calls := len(st.called())
	token := strings.TrimPrefix(ep.Path, "/uppy/")
	p64, m64, _ := strings.Cut(token, ".")
	bob := mint(t, s, keys["bob"], `{}`)
	bobPayload, _, _ := strings.Cut(strings.TrimPrefix(bob.Path, "/uppy/"), ".")
	refused := map[string]func() *httptest.ResponseRecorder{
		"tampered MAC": func() *httptest.ResponseRecorder {
			return s.do("POST", "/uppy/"+p64+"."+flipFirst(m64)+"/s3/multipart", "application/json", create)
		},
		"caller swapped": func() *httptest.ResponseRecorder {
			return s.do("POST", "/uppy/"+bobPayload+"."+m64+"/s3/multipart", "application/json", create)
		},
		"not a token": func() *httptest.ResponseRecorder {
			return s.do("GET", "/uppy/nonsense/s3/params?filename=a.png&type=image/png", "", "")
		},
		"another caller's upload": func() *httptest.ResponseRecorder {
			return s.do("GET", bob.Path+"/s3/multipart/"+up.UploadID+"/1"+k, "", "")
		},
		"another caller's completion": func() *httptest.ResponseRecorder {
			return s.do("POST", bob.Path+"/s3/multipart/"+up.UploadID+"/complete"+k, "application/json", `{"parts":[{"PartNumber":1,"ETag":"e1"}]}`)
		},
	}
	for name, call := range refused {
		t.Run(name, func(t *testing.T) { wantError(t, call(), 403, apierr.Forbidden) })
	}
	clock.Add(5 * time.Minute)
	e := wantError(t, s.do("POST", ep.Path+"/s3/multipart", "application/json", create), 403, apierr.Forbidden)
	if !strings.Contains(e.Message, "expired") {
		t.Errorf("expired endpoint: message %q, want it to say so", e.Message)
	}
	if got := st.called(); len(got) != calls {
		t.Errorf("refused calls reached S3: %v", got[calls:])
	}
	if logs := s.logs.String(); strings.Contains(logs, m64) || strings.Contains(logs, p64) {
		t.Errorf("the log holds the endpoint token:\n%s", logs)
	}
	if !strings.Contains(s.logs.String(), `"route":"POST /uppy/{token}/s3/multipart"`) {
		t.Errorf("the access line does not name the masked route:\n%s", s.logs)
	}
}

func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}
