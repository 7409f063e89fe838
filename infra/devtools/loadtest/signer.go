package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/config"
)

// Static signing credentials for the signer under load, random per process:
// the signer only signs with them and nothing ever uses the URLs, so no
// key-like constant needs to live in the repository.
var testAccessKeyID, testSecretAccessKey = randomCredentials()

// randomCredentials returns an access key id and secret of the usual shapes
// (20 upper-case characters, 40 characters), with a prefix that no AWS key has.
func randomCredentials() (id, secret string) {
	b := make([]byte, 40)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return "LOADTEST" + strings.ToUpper(hex.EncodeToString(b[:6])), base64.RawURLEncoding.EncodeToString(b[10:40])
}

// Auth modes the harness runs the signer in.
const (
	AuthNone   = "none"
	AuthAPIKey = "apikey"
)

// benchCaller names the API-key caller of the auth runs.
const benchCaller = "bench"

// unthrottled is the per-caller (and, in mode none, per-client-IP) rate and
// burst the harness sets: the limiter runs on every request, but a load test
// from one address must not be answered 429.
const unthrottled = "1000000"

// SignerEnv is the signer's whole environment in a harness run: listen on a
// free loopback port, static test credentials, access log at info level, the
// given auth mode (apiKeys are the hash lines of mode apikey), rate limits
// too high to trigger. extra ("NAME=value") adds or replaces variables.
func SignerEnv(mode, apiKeys string, extra []string) []string {
	env := map[string]string{
		config.EnvEnvironment:       "bench",
		config.EnvBucket:            "bench-bucket",
		config.EnvRegion:            "eu-west-1",
		config.EnvListenAddr:        "127.0.0.1:0",
		config.EnvLogLevel:          "info",
		config.EnvShutdownTimeout:   "5s",
		config.EnvAuthMode:          mode,
		config.EnvRateLimit:         unthrottled,
		config.EnvRateBurst:         unthrottled,
		"AWS_ACCESS_KEY_ID":         testAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     testSecretAccessKey,
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	if mode == AuthAPIKey {
		env[config.EnvAPIKeys] = apiKeys
	}
	for _, kv := range extra {
		if name, value, ok := strings.Cut(kv, "="); ok {
			env[name] = value
		}
	}
	out := make([]string, 0, len(env))
	for name, value := range env {
		out = append(out, name+"="+value)
	}
	slices.Sort(out)
	return out
}

// ExpressEnv is the Express baseline's whole environment: the same static
// test credentials, region and bucket as the signer, production mode, any
// free loopback port.
func ExpressEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + testAccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + testSecretAccessKey,
		"AWS_REGION=eu-west-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"S3_BUCKET=bench-bucket",
		"NODE_ENV=production",
		"PORT=0",
	}
}

// APIKey is a key for the auth runs and its hash line for EnvAPIKeys.
type APIKey struct {
	Key, HashLine string
	// Source says where it came from: "signer apikey new" or "generated"
	// (the same format, made here when the subcommand is not there yet).
	Source string
}

var (
	apiKeyRE   = regexp.MustCompile(`\bs3p_[A-Za-z0-9_-]{43}\b`)
	hashLineRE = regexp.MustCompile(`\b` + benchCaller + `:[0-9a-f]{64}\b`)
)

// NewAPIKey asks `signer apikey new bench` for a key. If the signer has no
// such subcommand yet, it makes one in the same format ("s3p_" + 32 random
// bytes in unpadded base64url; hash line "bench:" + hex SHA-256 of the key).
func NewAPIKey(ctx context.Context, signerBin string) (APIKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, signerBin, "apikey", "new", benchCaller).CombinedOutput()
	if err == nil {
		key, line := apiKeyRE.FindString(string(out)), hashLineRE.FindString(string(out))
		if key != "" && line != "" {
			if want := benchCaller + ":" + hashKey(key); line != want {
				return APIKey{}, fmt.Errorf("signer apikey new: hash line does not match the key's SHA-256")
			}
			return APIKey{Key: key, HashLine: line, Source: "signer apikey new"}, nil
		}
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return APIKey{}, err
	}
	key := "s3p_" + base64.RawURLEncoding.EncodeToString(b[:])
	return APIKey{Key: key, HashLine: benchCaller + ":" + hashKey(key), Source: "generated"}, nil
}

func hashKey(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

// Exchange sends r once to baseURL with Go's client and returns the status and
// up to 1 MiB of the body.
func Exchange(ctx context.Context, baseURL string, r Request) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, baseURL+r.Path, body)
	if err != nil {
		return 0, nil, err
	}
	for name, value := range r.Headers {
		req.Header.Set(name, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// Upload is the body of the upload runs: a photo with its size, the common
// case of the v1 upload route (Content-Type, Content-Length and
// If-None-Match signed).
const uploadBody = `{"fileName":"holiday photo.jpg","contentType":"image/jpeg","size":2483921}`

// UploadRequest is POST /v1/uploads; a non-empty apiKey is sent as a bearer
// token.
func UploadRequest(apiKey string) Request {
	r := Request{Method: http.MethodPost, Path: "/v1/uploads", Body: uploadBody,
		Headers: map[string]string{"Content-Type": "application/json"}}
	if apiKey != "" {
		r.Headers["Authorization"] = "Bearer " + apiKey
	}
	return r
}

// DownloadRequest is POST /v1/downloads for key with a download name (so the
// URL signs response-content-disposition).
func DownloadRequest(key string) Request {
	body, _ := json.Marshal(map[string]string{"key": key, "downloadName": "holiday photo.jpg"})
	return Request{Method: http.MethodPost, Path: "/v1/downloads", Body: string(body),
		Headers: map[string]string{"Content-Type": "application/json"}}
}

// Compat requests: the original server's GET routes.
var (
	compatUpload = Request{Method: http.MethodGet, Path: "/signed-url-upload?fileName=demo-image&extension=png&mediaType=image"}
	compatAccess = Request{Method: http.MethodGet, Path: "/signed-url-access?fileName=demo-image&extension=png"}
)

// probeUpload sends one upload and returns the issued key and the answer's
// size; it fails unless the answer is 201 with a key and a URL.
func probeUpload(ctx context.Context, baseURL string, r Request) (key string, size int, err error) {
	status, body, err := Exchange(ctx, baseURL, r)
	if err != nil {
		return "", 0, err
	}
	var ans struct{ Key, URL string }
	if status != http.StatusCreated || json.Unmarshal(body, &ans) != nil || ans.Key == "" || ans.URL == "" {
		return "", 0, fmt.Errorf("POST /v1/uploads answered %d %s; want 201 with key and url", status, errorBody(status, body))
	}
	return ans.Key, len(body), nil
}

// expectStatus sends r once and fails unless the answer has status want.
func expectStatus(ctx context.Context, baseURL string, r Request, want int) error {
	status, body, err := Exchange(ctx, baseURL, r)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s answered %d %s; want %d", r.Method, r.Path, status, errorBody(status, body), want)
	}
	return nil
}

// errorBody returns the first line of an error answer, for messages. Other
// answers hold a presigned URL, which is never printed.
func errorBody(status int, b []byte) string {
	if status < 400 {
		return "(body not shown)"
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	if len(line) > 300 {
		line = line[:300]
	}
	return string(line)
}

// expressVersions names node's version and the Express and aws-sdk versions
// the baseline's package-lock.json pins (next to its script, the command's
// last argument).
func expressVersions(ctx context.Context, cmd []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd[0], "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", cmd[0], err)
	}
	v := "node " + strings.TrimSpace(string(out))
	lockPath := filepath.Join(filepath.Dir(cmd[len(cmd)-1]), "package-lock.json")
	b, err := os.ReadFile(lockPath)
	if err != nil {
		return "", fmt.Errorf("express baseline: %w", err)
	}
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return "", fmt.Errorf("%s: %w", lockPath, err)
	}
	for _, name := range []string{"express", "aws-sdk"} {
		p, ok := lock.Packages["node_modules/"+name]
		if !ok {
			return "", fmt.Errorf("%s pins no %s", lockPath, name)
		}
		v += ", " + name + " " + p.Version
	}
	return v, nil
}
