package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/s3presign/s3presign/signer/config"
)

const (
	testSecretRegion = "eu-west-1"
	testSecretARN    = "arn:aws:secretsmanager:" + testSecretRegion + ":123456789012:secret:s3presign-test-ApiKeys-AbCdEf"
)

// secretsServer stands in for Secrets Manager's JSON API over HTTPS on
// 127.0.0.1: it answers GetSecretValue for one secret, and only requests
// SigV4-signed with creds for service secretsmanager in the secret's region.
type secretsServer struct {
	*httptest.Server
	creds aws.Credentials

	mu     sync.Mutex
	value  string
	answer int      // 0: the value; otherwise this status with an error body
	bad    []string // requests refused, and why
	calls  int
}

func newSecretsServer(t *testing.T, creds aws.Credentials, value string) *secretsServer {
	s := &secretsServer{creds: creds, value: value}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *secretsServer) set(value string, answer int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value, s.answer = value, answer
}

// refused lists the requests the server refused as malformed or unsigned.
func (s *secretsServer) refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bad...)
}

func (s *secretsServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	fail := func(status int, typ, why string) {
		s.bad = append(s.bad, why)
		writeAWSError(w, status, typ, why)
	}
	var in struct{ SecretId string }
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		fail(404, "UnknownOperationException", r.Method+" "+r.URL.Path)
		return
	case r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue":
		fail(400, "UnknownOperationException", "target "+r.Header.Get("X-Amz-Target"))
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		fail(400, "SerializationException", "content type "+r.Header.Get("Content-Type"))
		return
	case json.Unmarshal(body, &in) != nil || in.SecretId != testSecretARN:
		fail(400, "ResourceNotFoundException", "secret id in "+string(body))
		return
	}
	if err := verifySigV4(r, body, s.creds, "secretsmanager", testSecretRegion); err != nil {
		fail(403, "InvalidSignatureException", err.Error())
		return
	}
	switch s.answer {
	case 0:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"ARN": testSecretARN, "Name": "s3presign-test-ApiKeys", "SecretString": s.value,
			"VersionId": "v" + strconv.Itoa(s.calls), "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.7e9,
		})
	case http.StatusBadRequest:
		writeAWSError(w, s.answer, "AccessDeniedException", "not authorized to perform: secretsmanager:GetSecretValue")
	default:
		writeAWSError(w, s.answer, "InternalServiceError", "stand-in failure")
	}
}

func writeAWSError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

var authHeader = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

// verifySigV4 recomputes the request's SigV4 signature from the headers it
// says it signed, with the SDK's signer and the expected secret key, and
// compares it with the one sent.
func verifySigV4(r *http.Request, body []byte, creds aws.Credentials, service, region string) error {
	got := r.Header.Get("Authorization")
	m := authHeader.FindStringSubmatch(got)
	if m == nil {
		return fmt.Errorf("no SigV4 Authorization header: %q", got)
	}
	if m[1] != creds.AccessKeyID || m[3] != region || m[4] != service {
		return fmt.Errorf("credential scope %s/%s/%s, want %s/%s/%s", m[1], m[3], m[4], creds.AccessKeyID, region, service)
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("X-Amz-Date: %w", err)
	}
	req, err := http.NewRequest(r.Method, "https://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range strings.Split(m[5], ";") {
		switch h {
		case "host":
		case "content-length":
			req.ContentLength = r.ContentLength
		default:
			req.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, region, when); err != nil {
		return err
	}
	if want := req.Header.Get("Authorization"); want != got {
		return fmt.Errorf("signature mismatch:\n got %s\nwant %s", got, want)
	}
	return nil
}

// The signature check can fail: a request signed with another secret key,
// or for another service, is refused; the same request signed right passes.
func TestSecretsServerChecksTheSignature(t *testing.T) {
	right := aws.Credentials{AccessKeyID: "AKIDSIGNERTEST", SecretAccessKey: "signer-test-secret-key"}
	srv := newSecretsServer(t, right, "x")
	call := func(creds aws.Credentials) error {
		c := secretsmanager.New(secretsmanager.Options{
			Region: testSecretRegion, Credentials: credentialsOf(creds), BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(),
			RetryMaxAttempts: 1,
		})
		_, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(testSecretARN)})
		return err
	}
	if err := call(right); err != nil {
		t.Fatalf("control: a rightly signed request: %v", err)
	}
	wrong := right
	wrong.SecretAccessKey = "another-secret-key"
	if err := call(wrong); err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Fatalf("a request signed with another key: %v", err)
	}
	if r := srv.refused(); len(r) != 1 || !strings.Contains(r[0], "signature mismatch") {
		t.Errorf("refused %q, want one signature mismatch", r)
	}
}

func credentialsOf(c aws.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}

// keySecretSigner starts a signer in mode apikey whose keys come from the
// stand-in Secrets Manager (over HTTPS), reloaded every interval, with
// Prometheus metrics on.
func keySecretSigner(t *testing.T, interval string, srv *secretsServer) (*signerProc, string) {
	t.Helper()
	env := baseEnv()
	env["S3PRESIGN_ENVIRONMENT"] = "e2e"
	env["S3PRESIGN_AUTH_MODE"] = "apikey"
	env["S3PRESIGN_API_KEYS_SECRET_ARN"] = testSecretARN
	env["S3PRESIGN_API_KEYS_RELOAD_INTERVAL"] = interval
	env["S3PRESIGN_METRICS_ADDR"] = "127.0.0.1:0"
	p := startSigner(t, env, runDeps{secrets: pointAt(srv)})
	metricsAddr := logAddr(p.logs.String(), "metrics listening")
	if metricsAddr == "" {
		t.Fatalf("no \"metrics listening\" log line:\n%s", p.logs)
	}
	return p, metricsAddr
}

// pointAt sends the signer's Secrets Manager calls to srv (tests only).
func pointAt(srv *secretsServer) func(*secretsmanager.Options) {
	return func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.HTTPClient = srv.Client()
	}
}

// failedReloads is the signer's count of failed API-key reloads.
func failedReloads(t *testing.T, metricsAddr string) int {
	t.Helper()
	status, body := get(t, "http://"+metricsAddr+"/metrics")
	if status != 200 {
		t.Fatalf("GET /metrics: %d", status)
	}
	m := regexp.MustCompile(`(?m)^s3presign_api_key_reloads_total\{environment="e2e",result="failed"\} (\d+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// waitFailedReloads polls until the failed-reload count passes after.
func waitFailedReloads(t *testing.T, metricsAddr string, after int, within time.Duration, what string) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if n := failedReloads(t, metricsAddr); n > after {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no failed reload counted within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond) // polling an outcome, not standing in for one
	}
}

// Keys come from a Secrets Manager secret the signer reads itself, signed
// with its credentials: an added key works, a removed one stops working
// within the interval (bounded here by a few intervals, for a loaded
// machine), and an answer of 500 or access denied keeps the last good set,
// counted as a failed reload.
func TestAPIKeysReloadFromSecretsManager(t *testing.T) {
	const interval = 200 * time.Millisecond
	alice, aliceLine := newAPIKey(t, "alice")
	bob, bobLine := newAPIKey(t, "bob")
	srv := newSecretsServer(t, aws.Credentials{AccessKeyID: "AKIDSIGNERTEST", SecretAccessKey: "signer-test-secret-key"}, aliceLine+"\n")
	p, metricsAddr := keySecretSigner(t, interval.String(), srv)

	if s := uploadStatus(t, p, alice); s != 201 {
		t.Fatalf("control: alice's key from the secret: %d", s)
	}
	if s := uploadStatus(t, p, bob); s != 401 {
		t.Fatalf("bob's key is not in the secret yet: %d, want 401", s)
	}

	srv.set(aliceLine+"\n"+bobLine+"\n", 0)
	waitStatus(t, p, bob, 201, 10*interval, "a key added to the secret")

	srv.set(bobLine+"\n", 0)
	took := waitStatus(t, p, alice, 401, 10*interval, "a key removed from the secret")
	t.Logf("a key removed from the secret stopped working after %s (interval %s)", took, interval)
	if s := uploadStatus(t, p, bob); s != 201 {
		t.Fatalf("control: the remaining key: %d", s)
	}
	if n := failedReloads(t, metricsAddr); n != 0 {
		t.Fatalf("control: %d failed reloads before any failure", n)
	}

	// Secrets Manager fails (the SDK retries a 500, then gives up), then
	// denies access: the last good set stays, and each failure is counted.
	failed := 0
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadRequest} {
		srv.set(aliceLine+"\n", status) // would bring alice back if it were read
		failed = waitFailedReloads(t, metricsAddr, failed, 30*time.Second, fmt.Sprintf("Secrets Manager answering %d", status))
		if s := uploadStatus(t, p, bob); s != 201 {
			t.Fatalf("answer %d dropped the last good set: bob got %d", status, s)
		}
		if s := uploadStatus(t, p, alice); s != 401 {
			t.Fatalf("answer %d brought back a removed key: alice got %d", status, s)
		}
	}
	logs := p.logs.String()
	if !strings.Contains(logs, "API keys not reloaded") || !strings.Contains(logs, "AccessDeniedException") {
		t.Errorf("no error logged for the failed reloads:\n%s", logs)
	}
	if strings.Contains(logs, bobLine) || strings.Contains(logs, bob) {
		t.Error("the log holds the secret's lines or a key")
	}
	if r := srv.refused(); len(r) != 0 {
		t.Errorf("the stand-in refused the signer's requests as malformed or unsigned: %q", r)
	}
}

// A secret that cannot be read at start stops the start, naming the
// setting; a secret that can be read is the control.
func TestAPIKeysSecretRefusedAtStart(t *testing.T) {
	_, line := newAPIKey(t, "alice")
	srv := newSecretsServer(t, aws.Credentials{AccessKeyID: "AKIDSIGNERTEST", SecretAccessKey: "signer-test-secret-key"}, line)
	keySecretSigner(t, "1h", srv) // control: starts

	env := baseEnv()
	env["S3PRESIGN_AUTH_MODE"] = "apikey"
	env["S3PRESIGN_API_KEYS_SECRET_ARN"] = testSecretARN
	for _, tt := range []struct {
		value  string
		answer int
		want   string
	}{
		{line, http.StatusBadRequest, "AccessDeniedException"},
		{"alice:secretish-not-a-hash", 0, "S3PRESIGN_API_KEYS_SECRET_ARN: " + testSecretARN},
	} {
		srv.set(tt.value, tt.answer)
		err := runWith(t.Context(), []string{"signer"}, getenvOf(env), &strings.Builder{}, &strings.Builder{}, runDeps{secrets: pointAt(srv)})
		if err == nil || !strings.Contains(err.Error(), "S3PRESIGN_API_KEYS_SECRET_ARN") || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secretish") {
			t.Errorf("answer %d: %v", tt.answer, err)
		}
	}
}

// Without a test endpoint the client reads the secret over HTTPS at the
// regional endpoint of the secret's region, whatever AWS_ENDPOINT_URL*
// variables say.
func TestSecretsClientUsesTheRegionalHTTPSEndpoint(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
	for _, region := range []string{"eu-west-1", "cn-north-1"} {
		c := newSecretsClient(config.Config{APIKeysSecretRegion: region}, credentialsOf(aws.Credentials{}))
		o := c.Options()
		if o.BaseEndpoint != nil {
			t.Fatalf("%s: the client has an endpoint override %q", region, *o.BaseEndpoint)
		}
		ep, err := o.EndpointResolverV2.ResolveEndpoint(t.Context(), secretsmanager.EndpointParameters{Region: aws.String(o.Region)})
		if err != nil {
			t.Fatal(err)
		}
		if ep.URI.Scheme != "https" || !strings.HasPrefix(ep.URI.Host, "secretsmanager."+region+".") {
			t.Errorf("%s: endpoint %s", region, ep.URI.String())
		}
	}
}

// In signing mode "user" the signer signs URLs with an IAM user's keys
// (AWS_ACCESS_KEY_ID), which may not read the secret; it reads the secret
// with the task role's container credentials instead. Control: without a
// container credentials endpoint the user's keys sign the read, and this
// stand-in, which accepts only the task role, refuses the start.
func TestAPIKeysSecretReadWithTheTaskRoleInSigningModeUser(t *testing.T) {
	ep := newCredsEndpoint(t)
	key, line := newAPIKey(t, "alice")
	taskRole := aws.Credentials{AccessKeyID: faultAccessKey, SecretAccessKey: "fault-secret-key", SessionToken: faultSessionToken}
	srv := newSecretsServer(t, taskRole, line)

	env := baseEnv() // AWS_ACCESS_KEY_ID: the signing user's keys
	env["S3PRESIGN_AUTH_MODE"] = "apikey"
	env["S3PRESIGN_API_KEYS_SECRET_ARN"] = testSecretARN
	err := runWith(t.Context(), []string{"signer"}, getenvOf(env), &strings.Builder{}, &strings.Builder{}, runDeps{secrets: pointAt(srv)})
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Fatalf("control: the secret read with the signing user's keys: %v", err)
	}

	env[envContainerFullURI] = ep.srv.URL + "/v2/credentials/test"
	env[envContainerToken] = faultToken
	p := startSigner(t, env, runDeps{secrets: pointAt(srv)})
	resp, body := send(t, "POST", p.URL+"/v1/uploads", pngUpload, withBearer(key)...)
	if resp.StatusCode != 201 {
		t.Fatalf("alice's key from the secret read with the task role: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), "X-Amz-Credential=AKIDSIGNERTEST") {
		t.Errorf("the URL is not signed with the signing user's key: %s", body)
	}
	if r := srv.refused(); len(r) != 1 {
		t.Errorf("refused %q, want only the control's read", r)
	}
}
