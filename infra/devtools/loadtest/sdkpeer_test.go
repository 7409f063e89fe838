package loadtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestSDKPeerSignsWithTheSDK: the peer answers the compat upload request
// with a URL the SDK presigned (SigV4 query, Content-Type signed, the key
// from the query), and /readyz with 200.
func TestSDKPeerSignsWithTheSDK(t *testing.T) {
	srv := httptest.NewServer(SDKPeerHandler(NewSDKPresigner("eu-west-1", "LOADTESTPEER", "peer-secret"), "bench-bucket"))
	defer srv.Close()
	resp, err := http.Get(srv.URL + compatUpload.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ URL string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, decode error %v", resp.StatusCode, err)
	}
	u, err := url.Parse(body.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "bench-bucket.s3.eu-west-1.amazonaws.com" || u.Path != "/uploads/demo-image.png" {
		t.Errorf("URL %s: want the bucket's virtual host and key uploads/demo-image.png", body.URL)
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || len(q.Get("X-Amz-Signature")) != 64 ||
		!strings.Contains(q.Get("X-Amz-SignedHeaders"), "content-type") || !strings.HasPrefix(q.Get("X-Amz-Credential"), "LOADTESTPEER/") {
		t.Errorf("not a SigV4 presigned PUT signing Content-Type: %s", body.URL)
	}
	if q.Get("X-Amz-Expires") != "300" {
		t.Errorf("X-Amz-Expires = %q, want 300", q.Get("X-Amz-Expires"))
	}
	// Control: readiness is answered without signing.
	r, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Errorf("/readyz: %d", r.StatusCode)
	}
}
