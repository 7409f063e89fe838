package api

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/auth"
)

func TestRoutingErrorsAreJSON(t *testing.T) {
	s := newTestServer(t, nil)
	tests := []struct {
		method, target string
		status         int
		code, allow    string
	}{
		{method: "GET", target: "/nope", status: 404, code: apierr.NotFound},
		{method: "GET", target: "/v1/uploads", status: 405, code: apierr.MethodNotAllowed, allow: "POST"},
		{method: "DELETE", target: "/v1/downloads", status: 405, code: apierr.MethodNotAllowed, allow: "POST"},
		{method: "POST", target: "/healthz", status: 405, code: apierr.MethodNotAllowed, allow: "GET, HEAD"},
		{method: "PUT", target: "/signed-url-upload", status: 405, code: apierr.MethodNotAllowed, allow: "GET, HEAD"},
		{method: "OPTIONS", target: "/v1/uploads", status: 405, code: apierr.MethodNotAllowed, allow: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := s.do(tt.method, tt.target, "", "")
			wantError(t, w, tt.status, tt.code)
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if w.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

func TestHealth(t *testing.T) {
	s := newTestServer(t, nil)
	for _, target := range []string{"/healthz", "/readyz"} {
		w := s.do("GET", target, "", "")
		if w.Code != 200 {
			t.Errorf("%s: status %d (body %s)", target, w.Code, w.Body)
		}
	}
	if w := s.do("HEAD", "/healthz", "", ""); w.Code != 200 {
		t.Errorf("HEAD /healthz: status %d", w.Code)
	}
	down := newTestServer(t, func(d *Deps) { d.Creds = newSource(failingCreds()) })
	if w := down.do("GET", "/healthz", "", ""); w.Code != 200 {
		t.Errorf("liveness must not depend on credentials: status %d", w.Code)
	}
	e := wantError(t, down.do("GET", "/readyz", "", ""), 503, apierr.Unavailable)
	if strings.Contains(e.Message, "connection refused") {
		t.Errorf("readyz leaks the cause: %q", e.Message)
	}
	if !strings.Contains(down.logs.String(), "connection refused") {
		t.Error("the cause is not in the log")
	}
}

func TestAccessLog(t *testing.T) {
	s := newTestServer(t, nil)
	s.postJSON("/v1/uploads", `{"fileName":"secret-name.png","contentType":"image/png","size":5}`)
	s.do("GET", "/signed-url-upload?fileName=secretquery&extension=png&mediaType=image", "", "")
	s.do("GET", "/signed-url-access?fileName=secretquery&extension=png", "", "")
	s.postJSON("/v1/downloads", `{"key":"uploads/x/secret-name.png"}`)
	s.do("GET", "/nope?token=secret", "", "")
	s.do("GET", "/healthz", "", "")

	logs := s.logs.String()
	for _, leak := range []string{"X-Amz", "Signature", "token=", "AKIDEXAMPLE", "wJalr", "http://"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log holds %q:\n%s", leak, logs)
		}
	}
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		lines = append(lines, m)
		// Audit lines name keys on purpose (TestAuditLog); nothing else
		// from the request (query, body, file name) is logged.
		rest := maps.Clone(m)
		delete(rest, "key")
		if b, _ := json.Marshal(rest); strings.Contains(string(b), "secret") {
			t.Errorf("log line holds request input outside the key: %s", b)
		}
	}
	wantRoutes := []string{routeUploads, routeCompatUpload, routeCompatAccess, routeDownloads, "", routeHealthz}
	wantStatus := []float64{201, 200, 200, 200, 404, 200}
	wantMsg := []string{auth.AuditMessage, auth.AuditMessage, auth.AuditMessage, auth.AuditMessage, MsgRequest, MsgRequest}
	if len(lines) != len(wantRoutes) {
		t.Fatalf("got %d log lines, want one per request (%d):\n%s", len(lines), len(wantRoutes), logs)
	}
	for i, m := range lines {
		if m["msg"] != wantMsg[i] || m["route"] != wantRoutes[i] || m["status"] != wantStatus[i] {
			t.Errorf("line %d = %v, want msg %q route %q status %v", i, m, wantMsg[i], wantRoutes[i], wantStatus[i])
		}
		for _, k := range []string{"id", "duration_ms", "bytes", "method"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d has no %q: %v", i, k, m)
			}
		}
	}
	if lines[5]["level"] != "DEBUG" {
		t.Errorf("a passing health check is logged at %v, want DEBUG", lines[5]["level"])
	}
}

func TestPanicBecomesJSON500(t *testing.T) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	h := observe(NewRequestLog(logs, nil), "test-bucket", 0)(recoverPanics(log)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	wantError(t, w, 500, apierr.Internal)
	if !strings.Contains(logs.String(), `"panic":"boom"`) || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("panic not logged:\n%s", logs)
	}
	// Control: a handler that does not panic is untouched.
	ok := observe(NewRequestLog(logs, nil), "test-bucket", 0)(recoverPanics(log)(handleHealthz()))
	w = httptest.NewRecorder()
	ok.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 {
		t.Errorf("control: status %d", w.Code)
	}
}

func TestCORS(t *testing.T) {
	s := newTestServer(t, func(d *Deps) { d.CORSOrigins = []string{"http://localhost:5173"} })
	preflight := func(origin string) *httptest.ResponseRecorder {
		return s.do("OPTIONS", "/v1/uploads", "", "", "Origin", origin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	}
	w := preflight("http://localhost:5173")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Content-Type") ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("allowed preflight: %d %v", w.Code, w.Header())
	}
	w = preflight("https://evil.example")
	wantError(t, w, 403, apierr.Forbidden)
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("a refused preflight carries Access-Control-Allow-Origin")
	}

	body := `{"fileName":"a.png","contentType":"image/png","size":5}`
	w = s.do("POST", "/v1/uploads", "application/json", body, "Origin", "http://localhost:5173")
	if w.Code != 201 || w.Header().Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("allowed origin: %d %v", w.Code, w.Header())
	}
	w = s.do("POST", "/v1/uploads", "application/json", body, "Origin", "https://evil.example")
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin got Access-Control-Allow-Origin: %v", w.Header())
	}
	// Errors carry CORS headers too, so the page can read them.
	w = s.do("POST", "/v1/uploads", "application/json", `{}`, "Origin", "http://localhost:5173")
	if w.Code != 400 || w.Header().Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("error for allowed origin: %d %v", w.Code, w.Header())
	}
	// Without configured origins there are no CORS headers at all.
	plain := newTestServer(t, nil)
	w = plain.do("POST", "/v1/uploads", "application/json", body, "Origin", "http://localhost:5173")
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("no origins configured, got %v", w.Header())
	}
}

func TestAuthenticateWrapsOnlyURLRoutes(t *testing.T) {
	var deny stubAuth = func(*http.Request) (auth.Caller, error) {
		return auth.Caller{}, &auth.Error{Code: apierr.Unauthorized, Message: "authentication required"}
	}
	s := newTestServer(t, func(d *Deps) { d.Auth = deny })
	for _, req := range []struct{ method, target, body string }{
		{"POST", "/v1/uploads", `{"fileName":"a.png","contentType":"image/png","size":5}`},
		{"POST", "/v1/downloads", `{"key":"uploads/a.png"}`},
		{"GET", "/signed-url-upload?fileName=a&extension=png&mediaType=image", ""},
		{"GET", "/signed-url-access?fileName=a&extension=png", ""},
	} {
		ct := ""
		if req.body != "" {
			ct = "application/json"
		}
		wantError(t, s.do(req.method, req.target, ct, req.body), 401, apierr.Unauthorized)
	}
	for _, target := range []string{"/healthz", "/readyz"} {
		if w := s.do("GET", target, "", ""); w.Code != 200 {
			t.Errorf("%s behind auth: status %d", target, w.Code)
		}
	}
}

func TestStatusMapsEveryCode(t *testing.T) {
	want := map[string]int{
		apierr.Invalid: 400, apierr.Unauthorized: 401, apierr.Forbidden: 403, apierr.NotFound: 404, apierr.MethodNotAllowed: 405,
		apierr.Conflict: 409, apierr.TooLarge: 413, apierr.MediaType: 415, apierr.RateLimited: 429, apierr.Internal: 500,
		apierr.Unavailable: 503, "something-else": 500,
	}
	for code, status := range want {
		if got := Status(code); got != status {
			t.Errorf("Status(%q) = %d, want %d", code, got, status)
		}
	}
}

func TestNewRequiresDeps(t *testing.T) {
	_, err := New(Deps{})
	if err == nil {
		t.Fatal("got nil error")
	}
	for _, name := range []string{"Presigner", "Creds", "Clock", "Rules", "Keys"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

// Each route declares its body cap in routes.go: the three multipart
// completions take a body larger than MaxBodyBytes (the control), every
// other route refuses it, and so does a path no route serves. Over
// MaxCompleteBodyBytes, completions refuse too.
func TestBodyCapsPerRoute(t *testing.T) {
	s, keys, _ := uppyEndpointServer(t, &store{})
	ep := mint(t, s, keys["alice"], `{}`)
	auth := bearer(keys["alice"])
	between := strings.Repeat(" ", MaxBodyBytes+1)
	over := strings.Repeat(" ", MaxCompleteBodyBytes+1)
	tests := []struct {
		method, target string
		completion     bool
	}{
		{"POST", "/v1/multipart/upload-1/complete", true},
		{"POST", "/s3/multipart/upload-1/complete", true},
		{"POST", ep.Path + "/s3/multipart/upload-1/complete", true},
		{"POST", "/v1/uploads", false},
		{"POST", "/v1/downloads", false},
		{"POST", "/v1/multipart", false},
		{"POST", "/v1/multipart/upload-1/parts", false},
		{"POST", "/s3/multipart", false},
		{"POST", "/v1/uppy", false},
		{"POST", ep.Path + "/s3/multipart", false},
		{"PUT", "/v1/multipart/upload-1/complete", false}, // no route for PUT
		{"POST", "/no/such/route", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := s.do(tt.method, tt.target, "application/json", `{}`+between, auth...)
			if tt.completion {
				if w.Code == 413 {
					t.Fatalf("a completion of %d bytes: 413, want it read (body %s)", MaxBodyBytes+3, w.Body)
				}
				wantError(t, s.do(tt.method, tt.target, "application/json", `{}`+over, auth...), 413, apierr.TooLarge)
				return
			}
			wantError(t, w, 413, apierr.TooLarge)
		})
	}
}

// Paths that several routes share answer 405 with every method of every
// route the path matches, as net/http's own 405 lists them, and 404 when no
// route has the path.
func TestMethodNotAllowedListsEveryRouteOfThePath(t *testing.T) {
	s := newMultipartServer(t, &store{}, nil)
	tests := []struct {
		method, target, allow string
	}{
		{"PUT", "/v1/multipart/upload-1/parts", "GET, HEAD, POST"},
		{"PUT", "/v1/multipart/upload-1", "DELETE"},
		{"GET", "/v1/multipart", "POST"},
		{"PUT", "/s3/multipart/upload-1", "DELETE, GET, HEAD"},
		// complete (POST) and {partNumber} (GET) both match.
		{"PUT", "/s3/multipart/upload-1/complete", "GET, HEAD, POST"},
		{"DELETE", "/s3/params", "GET, HEAD"},
	}
	for _, tt := range tests {
		w := s.do(tt.method, tt.target, "", "")
		e := wantError(t, w, 405, apierr.MethodNotAllowed)
		if got := w.Header().Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tt.method, tt.target, got, tt.allow)
		}
		if !strings.HasSuffix(e.Message, "allowed: "+tt.allow) {
			t.Errorf("%s %s: message %q does not list %q", tt.method, tt.target, e.Message, tt.allow)
		}
	}
	// Controls: a path with no route at all is 404 with no Allow; a method
	// the path has reaches its handler.
	w := s.do("PUT", "/v1/multipart/upload-1/parts/extra", "", "")
	wantError(t, w, 404, apierr.NotFound)
	if a := w.Header().Get("Allow"); a != "" {
		t.Errorf("404 carries Allow %q", a)
	}
	if w := s.do("GET", "/s3/params?filename=a.png&type=image/png", "", ""); w.Code != 200 {
		t.Errorf("control GET /s3/params: %d %s", w.Code, w.Body)
	}
}
