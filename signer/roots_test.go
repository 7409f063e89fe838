package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// throwawayCA is a CA made for one test, and a server certificate for
// 127.0.0.1 it signed.
type throwawayCA struct {
	pem    []byte // the CA certificate
	server tls.Certificate
}

func newThrowawayCA(t *testing.T) throwawayCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "s3presign throwaway test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return throwawayCA{
		pem:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		server: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key},
	}
}

// TestImageTLSRoots: the signer in the image reaches an HTTPS credentials
// endpoint (as on ECS with AWS_CONTAINER_CREDENTIALS_FULL_URI) whose
// certificate a throwaway CA signed. With only the roots the binary embeds
// it refuses the server and /readyz answers 503; given the CA through
// SSL_CERT_FILE (the control) it trusts it, fetches credentials and is
// ready. So the image's TLS depends on roots it carries itself, never on a
// CA bundle it lacks.
func TestImageTLSRoots(t *testing.T) {
	needImage(t)
	ca := newThrowawayCA(t)
	var fetched atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": "ASIATHROWAWAY", "SecretAccessKey": "throwaway-secret", "Token": "throwaway-token",
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.server}}
	srv.StartTLS()
	defer srv.Close()

	env := func() map[string]string {
		env := reliabilityEnv()
		delete(env, "AWS_ACCESS_KEY_ID")
		delete(env, "AWS_SECRET_ACCESS_KEY")
		env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = srv.URL + "/credentials"
		env["S3PRESIGN_LOG_LEVEL"] = "info"
		return env
	}

	t.Run("embedded roots refuse the throwaway CA", func(t *testing.T) {
		c := runContainer(t, env())
		log := c.waitLog(t, "credentials unavailable at start")
		if !strings.Contains(log, "certificate signed by unknown authority") {
			t.Errorf("the credentials failed for another reason than the unknown CA:\n%s", log)
		}
		c.waitStatus(t, "/readyz", 503)
		if n := fetched.Load(); n != 0 {
			t.Errorf("the endpoint served %d requests through an untrusted TLS connection", n)
		}
	})

	t.Run("control: SSL_CERT_FILE makes it trusted", func(t *testing.T) {
		caFile := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(caFile, ca.pem, 0o644); err != nil {
			t.Fatal(err)
		}
		e := env()
		e["SSL_CERT_FILE"] = "/etc/throwaway-ca.pem"
		c := runContainer(t, e, "--volume", caFile+":/etc/throwaway-ca.pem:ro")
		c.waitStatus(t, "/readyz", 200)
		c.waitLog(t, "credentials resolved")
		if fetched.Load() == 0 {
			t.Error("ready without fetching the credentials")
		}
	})
}

// rootsProbeEnv names a CA certificate file: the test binary, started
// again by TestFallbackRootsWithoutSystemRoots with it set, reports whether
// its system roots are empty and whether they trust that CA, then exits.
const rootsProbeEnv = "S3PRESIGN_TEST_ROOTS_PROBE"

func init() {
	path := os.Getenv(rootsProbeEnv)
	if path == "" {
		return
	}
	os.Stdout.WriteString(probeRoots(path))
	os.Exit(0)
}

func probeRoots(caFile string) string {
	pool, err := x509.SystemCertPool()
	if err != nil {
		return "error " + err.Error()
	}
	if pool.Equal(x509.NewCertPool()) {
		return "empty"
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		return "error " + err.Error()
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return "error: no PEM in " + caFile
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "error " + err.Error()
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
		return "roots, CA untrusted"
	}
	return "roots, CA trusted"
}

// TestFallbackRootsWithoutSystemRoots: with no system CA files (as in the
// FROM scratch image) the signer still has roots, the embedded ones, and
// they do not trust a throwaway CA; with SSL_CERT_FILE naming a bundle
// (the control) that bundle is used and trusts it.
func TestFallbackRootsWithoutSystemRoots(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the test binary again")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ca := newThrowawayCA(t)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, ca.pem, 0o644); err != nil {
		t.Fatal(err)
	}
	probe := func(certFile string) string {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = []string{rootsProbeEnv + "=" + bundle, "SSL_CERT_FILE=" + certFile, "SSL_CERT_DIR=/nonexistent"}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("probe: %v", err)
		}
		return string(out)
	}
	if got, want := probe("/nonexistent/ca.pem"), "roots, CA untrusted"; got != want {
		t.Errorf("no system CA files: got %q, want %q (the embedded roots)", got, want)
	}
	if got, want := probe(bundle), "roots, CA trusted"; got != want {
		t.Errorf("SSL_CERT_FILE bundle: got %q, want %q", got, want)
	}
}
