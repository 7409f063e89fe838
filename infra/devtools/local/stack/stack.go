// Package stack runs s3presign on one machine, the deployed stack in
// miniature: versitygw (a real S3 server) with a bucket whose CORS rules and
// policy come from infra/policy for the chosen environment, a non-root S3
// user limited to the signer's actions on the upload prefix, the signer
// binary signing as that user, and the upload page on the environment's
// allowed origin, plus the same page on an origin that is not allowed.
//
// `make run` (infra/devtools/local) and the browser tests start it with the same
// Start; everything binds 127.0.0.1.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/devtools/local/web"
	"github.com/s3presign/s3presign/infra/policy"
	sconfig "github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/s3test"
)

// Defaults of the local stack.
const (
	// DefaultBucket is the local bucket's name.
	DefaultBucket = "s3presign-local"
	// SignerAccessKey is the access key id of the local signer user. Its
	// secret is new on every start.
	SignerAccessKey = "LOCALSIGNER"
	// Region is the region the local S3 server and the signer use.
	Region = s3test.Region
	// startTimeout bounds the whole start.
	startTimeout = 60 * time.Second
)

// Options says how to run the stack. Every address is host:port on
// 127.0.0.1; "" or port 0 picks a free port, except that an empty PageAddr
// means the environment's page origin.
type Options struct {
	// Env is the environment's settings (dev), as infra/config loaded them.
	Env config.Environment
	// DataDir keeps the bucket's objects, the IAM store and the root keys
	// across runs; "" uses a temporary directory that Close removes.
	DataDir string
	// Bucket is the bucket's name; "" is DefaultBucket.
	Bucket string
	// SignerBin is the signer binary (`make build` writes .bin/signer).
	SignerBin string
	// VersityGWBin is the versitygw binary; "" finds it as s3test does.
	VersityGWBin string
	// S3Addr and SignerAddr are where versitygw and the signer listen.
	S3Addr, SignerAddr string
	// PageAddr is where the upload page listens; "" is the host:port of the
	// environment's page origin (see PageOrigin). On another port the
	// environment's origins and referer patterns are moved to it by Rebase.
	PageAddr string
	// OtherPageAddr is where the same page listens on an origin that is not
	// allowed.
	OtherPageAddr string
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// SignerLog receives the signer's own (JSON) log; nil discards it.
	SignerLog io.Writer
	// SignerEnv adds or overrides signer variables (names from
	// signer/config), e.g. multipart settings a test needs.
	SignerEnv map[string]string
	// AuthMode is the local signer's auth mode, whatever the environment
	// deploys with: "" or "none" lets anyone ask, "apikey" makes a fresh API key for LocalCaller with
	// the signer binary on every start (Stack.APIKey) and stores only its
	// hash in the signer's settings.
	AuthMode string
	// PageRoutes are served on both page origins next to the upload page
	// (ServeMux patterns, e.g. "GET /uppy/" for another test page).
	PageRoutes map[string]http.Handler
	// NotifyAddr is where the notification receiver listens for versitygw's
	// webhook; "" picks a free port.
	NotifyAddr string
}

// Stack is a running local stack.
type Stack struct {
	// Env is the environment as applied: Options.Env with its page origins
	// moved to the real page port.
	Env config.Environment
	// Bucket is the bucket's name.
	Bucket string
	// S3 is the running versitygw; its RootClient skips bucket policies.
	S3 *s3test.Server
	// SignerURL is the signer's base URL.
	SignerURL string
	// PageURL is the upload page on the allowed origin (ends in "/").
	PageURL string
	// OtherPageURL is the same page on an origin that is not allowed.
	OtherPageURL string
	// SignerCreds are the keys the signer signs with (the non-root user).
	SignerCreds aws.Credentials
	// Omitted lists what the versitygw transform left out of the deployed
	// bucket policy, and why.
	Omitted []policy.Omission
	// DataDir is the data directory in use.
	DataDir string
	// APIKey is the key made for LocalCaller when the stack runs in apikey
	// mode ("" otherwise). It is shown once and stored nowhere.
	APIKey string
	// Notifications receives versitygw's bucket notifications as "upload
	// ready" events (the deployed queue's local stand-in).
	Notifications *Notifications
	// NotifyURL is the receiver's URL versitygw posts to.
	NotifyURL string

	signer  *s3test.Process
	pages   []*http.Server
	tempDir string
	closed  bool
}

// Start runs the stack. On error everything already started is stopped.
// ctx bounds the start only; the stack runs until Close.
func Start(ctx context.Context, o Options) (st *Stack, err error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	o.S3Addr, o.SignerAddr = anyPort(o.S3Addr), anyPort(o.SignerAddr)
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	st = &Stack{Bucket: o.Bucket}
	if st.Bucket == "" {
		st.Bucket = DefaultBucket
	}
	var lns []net.Listener // closed on error; once served, Close shuts them
	defer func() {
		if err != nil {
			for _, ln := range lns {
				ln.Close()
			}
			st.Close()
			st = nil
		}
	}()

	if err := checkAuthMode(o.AuthMode); err != nil {
		return st, err
	}
	// The page sockets first: the real page port decides the origins.
	pageLn, otherLn, err := st.openPages(o, &lns, logf)
	if err != nil {
		return st, err
	}
	root, iamDir, err := st.prepareDataDir(o.DataDir)
	if err != nil {
		return st, err
	}
	// Notifications: up before versitygw, which tests the webhook at start.
	if err := st.startNotifications(o.NotifyAddr); err != nil {
		return st, err
	}
	if err := st.startS3(ctx, o, root, iamDir, logf); err != nil {
		return st, err
	}
	if err := st.startSignerWithKey(ctx, o, logf); err != nil {
		return st, err
	}
	return st, st.servePages(o, pageLn, otherLn)
}

// openPages opens the upload page's socket and the other-origin page's
// (added to lns), moves the environment's origins to the page's real port
// and sets PageURL and OtherPageURL.
func (st *Stack) openPages(o Options, lns *[]net.Listener, logf func(string, ...any)) (pageLn, otherLn net.Listener, err error) {
	cfgOrigin, err := PageOrigin(o.Env)
	if err != nil {
		return nil, nil, err
	}
	pageAddr := o.PageAddr
	if pageAddr == "" {
		pageAddr = cfgOrigin.Host
	}
	pageLn, err = listen(pageAddr, "upload page")
	if err != nil {
		return nil, nil, err
	}
	*lns = append(*lns, pageLn)
	otherAddr := o.OtherPageAddr
	if otherAddr == "" {
		otherAddr = "127.0.0.1:0"
	}
	otherLn, err = listen(otherAddr, "other-origin page")
	if err != nil {
		return nil, nil, err
	}
	*lns = append(*lns, otherLn)
	from, _ := portOf(cfgOrigin.Host)
	to, _ := portOf(pageLn.Addr().String())
	st.Env = Rebase(o.Env, from, to)
	// Every deployed environment authenticates, but the local stack serves
	// a developer's own loopback pages: no auth unless asked for (AUTH=apikey).
	st.Env.AuthMode = config.AuthNone
	if o.AuthMode != "" {
		st.Env.AuthMode = o.AuthMode
	}
	st.PageURL = "http://" + pageLn.Addr().String() + "/"
	st.OtherPageURL = "http://" + otherLn.Addr().String() + "/"
	otherOrigin := "http://" + otherLn.Addr().String()
	if slices.Contains(st.Env.AllowedOrigins, otherOrigin) {
		return nil, nil, fmt.Errorf("the other-origin page %s is an allowed origin of %q: pick another port", otherOrigin, st.Env.Name)
	}
	if from != to {
		logf("page port %d instead of %d: allowed origins %v, referer patterns %v", to, from, st.Env.AllowedOrigins, st.Env.AllowedReferers)
	}
	return pageLn, otherLn, nil
}

// prepareDataDir makes the data directory (a temporary one when dir is
// ""), loads or creates versitygw's root keys there and clears the IAM
// store, which is rebuilt on every start (the signer user gets new keys).
func (st *Stack) prepareDataDir(dir string) (root localCreds, iamDir string, err error) {
	st.DataDir = dir
	if st.DataDir == "" {
		if st.DataDir, err = os.MkdirTemp("", "s3presign-local-"); err != nil {
			return root, "", err
		}
		st.tempDir = st.DataDir
	}
	if st.DataDir, err = filepath.Abs(st.DataDir); err == nil {
		err = os.MkdirAll(st.DataDir, 0o755)
	}
	if err == nil {
		root, err = loadOrCreateCreds(st.DataDir)
	}
	iamDir = filepath.Join(st.DataDir, "iam")
	if err == nil {
		err = os.RemoveAll(iamDir)
	}
	if err != nil {
		return root, "", fmt.Errorf("data directory %s: %w", st.DataDir, err)
	}
	return root, iamDir, nil
}

// startNotifications serves the notification receiver on addr ("" picks a
// free port) and sets NotifyURL.
func (st *Stack) startNotifications(addr string) error {
	notifyAddr := addr
	if notifyAddr == "" {
		notifyAddr = "127.0.0.1:0"
	}
	notifyLn, err := listen(notifyAddr, "notification receiver")
	if err != nil {
		return err
	}
	st.Notifications = newNotifications(st.Env, st.Bucket)
	st.Notifications.serve(notifyLn)
	st.NotifyURL = "http://" + notifyLn.Addr().String() + "/"
	return nil
}

// startS3 starts versitygw, posting events to the receiver, creates the
// signer's user and configures the bucket from infra/policy.
func (st *Stack) startS3(ctx context.Context, o Options, root localCreds, iamDir string, logf func(string, ...any)) (err error) {
	logf("starting versitygw (data in %s)", filepath.Join(st.DataDir, "s3"))
	st.S3, err = s3test.Run(ctx, s3test.Config{
		Bin: o.VersityGWBin, Addr: o.S3Addr,
		DataDir: filepath.Join(st.DataDir, "s3"), IAMDir: iamDir,
		RootAccessKey: root.RootAccessKey, RootSecret: root.RootSecret, Region: Region,
		ExtraArgs: []string{"--event-webhook-url", st.NotifyURL},
	})
	if err != nil {
		return err
	}
	st.Notifications.useClient(st.S3.RootClient())
	logf("upload notifications: versitygw posts to %s; ready events on %snotifications", st.NotifyURL, st.PageURL)
	st.SignerCreds = aws.Credentials{AccessKeyID: SignerAccessKey, SecretAccessKey: randomKey(32), Source: "local stack"}
	if err := st.S3.CreateUser(st.SignerCreds.AccessKeyID, st.SignerCreds.SecretAccessKey, s3test.RoleUser); err != nil {
		return err
	}
	if st.Omitted, err = configureBucket(ctx, st.S3, st.Env, st.Bucket, SignerAccessKey); err != nil {
		return err
	}
	logf("bucket %s: CORS for %v; policy from infra/policy for %q", st.Bucket, st.Env.AllowedOrigins, st.Env.Name)
	for _, om := range st.Omitted {
		logf("  left out locally: %s (%s): %s", om.Sid, om.What, om.Why)
	}
	return nil
}

// startSignerWithKey starts the signer, with one API key made for this run
// when the mode is apikey.
func (st *Stack) startSignerWithKey(ctx context.Context, o Options, logf func(string, ...any)) (err error) {
	extra := maps.Clone(o.SignerEnv)
	if st.Env.AuthMode == config.AuthAPIKey {
		var hashLine string
		if st.APIKey, hashLine, err = newAPIKey(ctx, o.SignerBin); err != nil {
			return err
		}
		if extra == nil {
			extra = map[string]string{}
		}
		extra[sconfig.EnvAPIKeys] = hashLine
		logf("auth mode apikey: one API key made for caller %q (only its hash is in the signer's settings)", LocalCaller)
	}
	logf("starting the signer (%s)", o.SignerBin)
	st.signer, err = startSigner(ctx, o.SignerBin, o.SignerAddr, func(listen string) []string {
		return signerEnv(st.Env, st.Bucket, st.S3.Endpoint, Region, listen, st.SignerCreds, extra)
	}, o.SignerLog)
	if err != nil {
		return err
	}
	st.SignerURL = st.signer.URL
	return nil
}

// servePages serves the upload page and the other-origin page.
func (st *Stack) servePages(o Options, pageLn, otherLn net.Listener) error {
	for _, p := range []struct {
		ln      net.Listener
		allowed bool
	}{{pageLn, true}, {otherLn, false}} {
		h, err := web.Handler(web.Config{
			SignerURL: st.SignerURL, S3Endpoint: st.S3.Endpoint, Environment: st.Env.Name,
			AllowedOrigin: p.allowed, AllowedTypes: st.Env.AllowedTypes, MaxSize: st.Env.MaxSize,
			AuthMode: st.Env.AuthMode,
		})
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/", h)
		mux.Handle("GET /notifications", st.Notifications.PageHandler())
		for pattern, route := range o.PageRoutes {
			mux.Handle(pattern, route)
		}
		h = mux
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		st.pages = append(st.pages, srv)
		go srv.Serve(p.ln)
	}
	return nil
}

// SignerExited is closed when the signer process exits on its own.
func (st *Stack) SignerExited() <-chan struct{} { return st.signer.Exited() }

// SignerOutput returns the last part of the signer's output.
func (st *Stack) SignerOutput() string {
	if st.signer == nil {
		return ""
	}
	return st.signer.Output()
}

// Close stops the pages, the signer and versitygw, in that order, waits for
// each, and removes a temporary data directory. It is safe to call twice.
func (st *Stack) Close() error {
	if st == nil || st.closed {
		return nil
	}
	st.closed = true
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, p := range st.pages {
		if err := p.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop page server: %w", err))
		}
	}
	if st.signer != nil {
		st.signer.Stop()
	}
	if st.S3 != nil {
		if err := st.S3.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop versitygw: %w", err))
		}
	}
	if st.Notifications != nil {
		if err := st.Notifications.close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop the notification receiver: %w", err))
		}
	}
	if st.tempDir != "" {
		if err := os.RemoveAll(st.tempDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// listen binds addr, which must be on 127.0.0.1.
func listen(addr, what string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return nil, fmt.Errorf("%s address %q must be 127.0.0.1:PORT", what, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (is another local stack running? each address has a flag: -page-addr, -other-addr, -signer-addr, -s3-addr)", what, err)
	}
	return ln, nil
}

// anyPort turns "127.0.0.1:0" into "", which picks a free port that is
// known before the child process binds it.
func anyPort(addr string) string {
	if p, err := portOf(addr); err == nil && p == 0 {
		return ""
	}
	return addr
}

// Origin returns the scheme://host:port of a URL such as PageURL.
func Origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
