package main

// Container tests: the image that `make image` builds and `cdk deploy`
// pushes (signer/Dockerfile, built by image.sh from the binary build.sh
// stages), built here twice and run with podman the way ECS runs it: read-only
// root filesystem with no writable /tmp, every capability dropped, the
// image's non-root user. Skipped under -short.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/podmantest"
)

// testImageTag is the shared image the container tests run. The process id
// keeps two test runs on one machine (one podman store) from removing each
// other's image when they end.
var testImageTag = fmt.Sprintf("localhost/s3presign-signer:test-%d", os.Getpid())

// imageUID is the image's USER, as the Dockerfile and the task definition set it.
const imageUID = "65532"

var (
	// imageMu serialises image.sh: it stages the binary in dist/ in place.
	imageMu sync.Mutex
	// builtTags are removed from podman's store when the tests end.
	builtTags   []string
	sharedImage = sync.OnceValues(func() (string, error) { return buildImage(testImageTag) })
	containerN  atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, tag := range builtTags {
		_, _ = podmantest.Output(context.Background(), "rmi", "--ignore", tag)
	}
	os.Exit(code)
}

// buildImage runs image.sh for this machine's architecture and returns the
// image ID.
func buildImage(tag string) (string, error) {
	imageMu.Lock()
	defer imageMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "image.sh", "build", runtime.GOARCH, tag)
	cmd.Env = append(os.Environ(), "VERSION=v0.0.0-container", "COMMIT=test")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("image.sh build: %w\n%s", err, out)
	}
	builtTags = append(builtTags, tag)
	return podmantest.Output(ctx, "image", "inspect", "--format", "{{.Id}}", tag)
}

// needImage skips under -short and returns the shared image's ID.
func needImage(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("container test: builds the image and runs it with podman")
	}
	if err := podmantest.Available(); err != nil {
		t.Fatal(err)
	}
	id, err := sharedImage()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func podman(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := podmantest.Output(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// container is one signer container on the host network.
type container struct {
	name string
	base string // http://127.0.0.1:PORT
}

// runContainer starts the image's default command (serve) detached, as ECS
// would, with env and a free 127.0.0.1 port; extra goes before the image.
func runContainer(t *testing.T, env map[string]string, extra ...string) *container {
	t.Helper()
	addr := freeAddr(t)
	env[config.EnvListenAddr] = addr
	name := fmt.Sprintf("s3presign-test-%d-%d", os.Getpid(), containerN.Add(1))
	args := append([]string{"run", "--detach", "--name", name}, podmantest.RunFlags...)
	for _, k := range sortedKeys(env) {
		args = append(args, "--env", k+"="+env[k])
	}
	args = append(append(args, extra...), testImageTag)
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := podmantest.Command(context.Background(), "logs", name).CombinedOutput()
			t.Logf("%s log:\n%s", name, out)
		}
		_, _ = podmantest.Output(context.Background(), "rm", "--force", "--time", "0", name)
	})
	podman(t, args...)
	return &container{name: name, base: "http://" + addr}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitStatus polls path until it answers want, for at most 15s.
func (c *container) waitStatus(t *testing.T, path string, want int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	last := "no answer"
	for time.Now().Before(deadline) {
		resp, err := http.Get(c.base + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s%s: want %d within 15s, last: %s", c.base, path, want, last)
}

// waitLog polls the container's log until it holds msg, for at most 15s,
// and returns the log.
func (c *container) waitLog(t *testing.T, msg string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := podmantest.Command(context.Background(), "logs", c.name).CombinedOutput()
		if err != nil {
			t.Fatalf("podman logs %s: %v: %s", c.name, err, b)
		}
		// The signer logs to stderr, which podman logs passes on as such.
		if out := string(b); strings.Contains(out, msg) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q in the log within 15s:\n%s", c.name, msg, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestImageIsReproducible: a second build of the same commit gives the same
// image ID; and the build the CDK runs for `cdk deploy` (`docker build
// --tag T --platform linux/ARCH .` in its staged copy of the context, here
// with podman as CDK_DOCKER=podman runs it, without --timestamp 0) holds the
// same files (path, mode, owner, bytes) and configuration: only time stamps
// differ (file and creation times), so its ID does not match.
func TestImageIsReproducible(t *testing.T) {
	first := needImage(t)
	second, err := buildImage(testImageTag + "-again")
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("two builds of the same commit: image IDs %s and %s", first, second)
	}

	// The CDK stages the context (what .dockerignore lets in) into cdk.out;
	// the copy gets fresh file times.
	staged := t.TempDir()
	imageMu.Lock()
	for _, f := range []string{"Dockerfile", ".dockerignore", "dist/signer-linux-" + runtime.GOARCH} {
		copyFile(t, f, filepath.Join(staged, f))
	}
	imageMu.Unlock()
	deployTag := testImageTag + "-deploy"
	// Added to the CDK's flags: --no-cache, so that podman cannot reuse make
	// image's layer, and --layers=false, so that no intermediate image is
	// left in the store; neither changes what the image holds.
	cmd := podmantest.Command(context.Background(), "build", "--no-cache", "--layers=false", "--tag", deployTag, "--platform", "linux/"+runtime.GOARCH, ".")
	cmd.Dir = staged
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploy-style build: %v\n%s", err, out)
	}
	builtTags = append(builtTags, deployTag)
	makeImage, deploy := imageFiles(t, testImageTag), imageFiles(t, deployTag)
	if !slices.Equal(makeImage.list, deploy.list) {
		t.Errorf("the deploy build holds other files than make image's:\n make image: %q\n deploy:     %q", makeImage.list, deploy.list)
	}
	const config = "{{.Os}}/{{.Architecture}} {{json .Config}}"
	if a, b := podman(t, "image", "inspect", "--format", config, testImageTag), podman(t, "image", "inspect", "--format", config, deployTag); a != b {
		t.Errorf("the deploy build's configuration differs from make image's:\n make image: %s\n deploy:     %s", a, b)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, fi.Mode().Perm()|0o200); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(to, fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// imageConfig is the part of the image's configuration the tests check.
type imageConfig struct {
	User         string
	Entrypoint   []string
	Cmd          []string
	ExposedPorts map[string]struct{}
}

// TestImageHoldsOnlyTheBinary lists every file in the image's layers
// (podman save, then tar) and compares the list with the one file it should
// hold; then checks that file (static, this architecture, built -trimpath
// with the embedded TLS roots) and the image's configuration.
func TestImageHoldsOnlyTheBinary(t *testing.T) {
	needImage(t)
	files := imageFiles(t, testImageTag)
	binary := files.content["signer"]
	if want := []string{fmt.Sprintf("signer -r-xr-xr-x 0:0 %x", sha256.Sum256(binary))}; len(binary) == 0 || !slices.Equal(files.list, want) {
		t.Errorf("the image holds %q, want only %q", files.list, want)
	}

	bin := filepath.Join(t.TempDir(), "signer")
	if err := os.WriteFile(bin, binary, 0o555); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("/signer has an ELF interpreter: not static, and the image has no libc")
		}
	}
	if want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]; f.Machine != want {
		t.Errorf("/signer is for %v, want %v", f.Machine, want)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["-trimpath"] != "true" || settings["CGO_ENABLED"] != "0" {
		t.Errorf("/signer build settings %v: want -trimpath and CGO_ENABLED=0", settings)
	}
	if runtime.GOOS == "linux" {
		// Static and for this machine: it runs here too.
		out, err := exec.Command(bin, "-version").Output()
		if err != nil || !strings.HasPrefix(string(out), "signer v0.0.0-container (commit test,") {
			t.Errorf("/signer -version: %q, %v; want the version and commit image.sh stamped in", out, err)
		}
	}
	if !slices.ContainsFunc(info.Deps, func(m *debug.Module) bool { return m.Path == "golang.org/x/crypto/x509roots/fallback" }) {
		t.Error("/signer does not embed golang.org/x/crypto/x509roots/fallback: a FROM scratch image would trust no TLS server")
	}

	var cfg imageConfig
	if err := json.Unmarshal([]byte(podman(t, "image", "inspect", "--format", "{{json .Config}}", testImageTag)), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.User != imageUID+":"+imageUID || !slices.Equal(cfg.Entrypoint, []string{"/signer"}) || !slices.Equal(cfg.Cmd, []string{"serve"}) {
		t.Errorf("image config %+v: want user %s:%s, entrypoint /signer, command serve", cfg, imageUID, imageUID)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok || len(cfg.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v, want 8080/tcp", cfg.ExposedPorts)
	}
	if got := podman(t, "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", testImageTag); got != "linux/"+runtime.GOARCH {
		t.Errorf("image platform %s, want linux/%s", got, runtime.GOARCH)
	}
}

// layerFiles is what an image's layers hold.
type layerFiles struct {
	// list has one "path mode uid:gid sha256" line per entry, in layer order.
	list []string
	// content holds each regular file's bytes by path.
	content map[string][]byte
}

// imageFiles saves the image (podman save, docker-archive) and lists every
// entry of every layer.
func imageFiles(t *testing.T, tag string) layerFiles {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "image.tar")
	podman(t, "save", "--format", "docker-archive", "--output", archive, tag)
	outer := readTar(t, archive, nil)
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(outer.content["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v (%d images)", err, len(manifest))
	}
	files := layerFiles{content: map[string][]byte{}}
	for _, layer := range manifest[0].Layers {
		l := readTar(t, archive, outer.content[layer])
		files.list = append(files.list, l.list...)
		for name, b := range l.content {
			files.content[name] = b
		}
	}
	return files
}

// readTar lists a tar archive: the file at path, or data when not nil.
func readTar(t *testing.T, path string, data []byte) layerFiles {
	t.Helper()
	var r io.Reader = bytes.NewReader(data)
	if data == nil {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r = f
	}
	files := layerFiles{content: map[string][]byte{}}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		files.list = append(files.list, fmt.Sprintf("%s %s %d:%d %x", name, h.FileInfo().Mode(), h.Uid, h.Gid, sha256.Sum256(b)))
		if h.Typeflag == tar.TypeReg {
			files.content[name] = b
		}
	}
}

// TestContainerAgainstVersitygw runs the image read-only and without
// capabilities against versitygw: health and readiness answer, an upload URL
// it issues stores the bytes and a download URL returns them (so nothing in
// the signer needs a writable filesystem), it runs as the image's non-root
// user with no capability, and
// `signer healthcheck` inside the container passes.
func TestContainerAgainstVersitygw(t *testing.T) {
	needImage(t)
	e := startS3(t)
	env := e.env(nil)
	c := runContainer(t, env)
	c.waitStatus(t, "/readyz", 200)
	callJSON(t, "GET", c.base+"/healthz", "", 200, nil)

	p := &signerProc{URL: c.base}
	data := []byte("bytes that went through the container's URLs " + c.name)
	u := upload(t, p, map[string]any{"fileName": "container.png", "contentType": "image/png", "size": len(data), "sha256": sha256b64(data)})
	status, body := put(t, u, data)
	wantS3(t, "PUT", status, 200, body)
	d := download(t, p, map[string]any{"key": u.Key})
	status, got, _ := s3Do(t, "GET", d.URL, nil, nil)
	wantS3(t, "GET", status, 200, got)
	if string(got) != string(data) {
		t.Fatalf("downloaded %q, uploaded %q", got, data)
	}

	// podman top reads /proc from outside: the container has no ps.
	if top := strings.Fields(podman(t, "top", c.name, "user", "group", "capeff")); !slices.Equal(top, []string{"USER", "GROUP", "EFFECTIVE", "CAPS", imageUID, imageUID, "none"}) {
		t.Errorf("podman top: %q, want user and group %s with no effective capabilities", top, imageUID)
	}
	if out := podman(t, "exec", c.name, "/signer", "healthcheck"); out != "ok" {
		t.Errorf("signer healthcheck in the running container printed %q, want ok", out)
	}
}

// TestContainerHealthcheckFailsWhenServerDown is the healthcheck's
// rejection beside the passing one above: the image's binary, asked in a
// container where nothing listens on the address, exits non-zero.
func TestContainerHealthcheckFailsWhenServerDown(t *testing.T) {
	needImage(t)
	addr := freeAddr(t) // closed again: nothing listens there
	args := append([]string{"run", "--rm"}, podmantest.RunFlags...)
	args = append(args, "--env", config.EnvListenAddr+"="+addr, testImageTag, "healthcheck")
	out, err := podmantest.Command(context.Background(), args...).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("healthcheck with no server: err %v, want a non-zero exit; output %s", err, out)
	}
	if !strings.Contains(string(out), "healthcheck:") {
		t.Errorf("healthcheck output %q does not say what failed", out)
	}
}

// TestContainerDrainsOnSIGTERM: a request whose body is half sent when the
// container gets SIGTERM (as ECS stops a task) is answered 201 once the rest
// arrives, and the container exits 0 within the drain timeout.
func TestContainerDrainsOnSIGTERM(t *testing.T) {
	needImage(t)
	const drain = 5 * time.Second
	env := reliabilityEnv()
	env[config.EnvShutdownTimeout] = drain.String()
	env["S3PRESIGN_LOG_LEVEL"] = "info"
	c := runContainer(t, env)
	c.waitStatus(t, "/readyz", 200)

	body := `{"fileName":"drain.png","contentType":"image/png","size":5}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := fmt.Sprintf("POST /v1/uploads HTTP/1.1\r\nHost: signer\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	if _, err := io.WriteString(conn, head+body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}

	signalled := time.Now()
	podman(t, "kill", "--signal", "TERM", c.name)
	c.waitLog(t, `"shutting down"`)
	if _, err := io.WriteString(conn, body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("the in-flight request got %s, want 201 Created", resp.Status)
	}
	if code := podman(t, "wait", c.name); code != "0" {
		t.Errorf("exit code %s after SIGTERM, want 0", code)
	}
	if took := time.Since(signalled); took > drain+2*time.Second {
		t.Errorf("stopped %v after SIGTERM; the drain timeout is %v", took, drain)
	}
}
