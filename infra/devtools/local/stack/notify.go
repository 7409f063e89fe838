package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/signer/uploadevent"
)

// Receiver limits.
const (
	// maxNotificationBody bounds one webhook request (versitygw sends one
	// record of about 1 KiB).
	maxNotificationBody = 64 << 10
	// maxKeptEvents bounds the events kept for the page and the tests.
	maxKeptEvents = 1000
	// headTimeout bounds the lookups that fill versitygw's gaps.
	headTimeout = 5 * time.Second
)

// Notifications is the local stand-in for the deployed queue: versitygw
// POSTs its bucket notifications here (--event-webhook-url), and the
// receiver turns them into "upload ready" events with signer/uploadevent's
// parser, the one a consumer of the AWS queue uses. Nothing scans locally,
// so ready follows creation.
//
// versitygw v1.8.0 leaves two gaps, filled here from the bucket with the
// root client: a multipart completion says size 0 (the size is read from a
// HEAD), and a POST upload names no key (the key is the newest object under
// the prefix with the event's ETag and size that no earlier event named).
// Every event also gets the object's content type from the HEAD, which no
// S3 event carries.
type Notifications struct {
	opts   uploadevent.Options
	bucket string
	s3     atomic.Pointer[s3.Client] // set once versitygw runs
	mu     sync.Mutex
	events []uploadevent.Event
	seen   map[string]bool // keys already announced (for keyless POST events)
	added  chan struct{}   // closed and replaced on every new event
	errs   []string
	srv    *http.Server
}

// parseOptions are the parser's settings for env: its prefix, callers named
// unless the auth mode is none, and no scanning.
func parseOptions(env config.Environment) uploadevent.Options {
	return uploadevent.Options{Prefix: env.UploadPrefix, NamedCallers: env.AuthMode != config.AuthNone}
}

// newNotifications returns a receiver for env's bucket; serve starts it.
func newNotifications(env config.Environment, bucket string) *Notifications {
	return &Notifications{opts: parseOptions(env), bucket: bucket, seen: map[string]bool{}, added: make(chan struct{})}
}

// serve answers webhook requests on ln until close. It must run before
// versitygw starts: versitygw sends a test event at start and refuses to
// start when nothing answers. useClient gives it the bucket's client later.
func (n *Notifications) serve(ln net.Listener) {
	n.srv = &http.Server{Handler: n, ReadHeaderTimeout: 5 * time.Second}
	go n.srv.Serve(ln)
}

// useClient sets the client that fills versitygw's gaps.
func (n *Notifications) useClient(c *s3.Client) { n.s3.Store(c) }

// ServeHTTP takes one notification body from versitygw.
func (n *Notifications) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNotificationBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	events, err := uploadevent.ParseVersitygw(body, n.opts)
	switch {
	case errors.Is(err, uploadevent.ErrIgnored):
		w.WriteHeader(http.StatusNoContent)
		return
	case err != nil:
		n.fail(err)
		http.Error(w, "unreadable notification", http.StatusBadRequest)
		return
	}
	for _, e := range events {
		e, err := n.complete(r.Context(), e)
		if err != nil {
			n.fail(err)
			continue
		}
		n.add(e)
	}
	w.WriteHeader(http.StatusNoContent)
}

// complete fills versitygw's gaps and the content type from the bucket.
func (n *Notifications) complete(ctx context.Context, e uploadevent.Event) (uploadevent.Event, error) {
	client := n.s3.Load()
	if client == nil {
		return e, errors.New("an object notification came before the stack finished starting")
	}
	ctx, cancel := context.WithTimeout(ctx, headTimeout)
	defer cancel()
	if e.NeedsKey() {
		key, err := n.findKey(ctx, client, e)
		if err != nil {
			return e, err
		}
		if e, err = e.WithKey(key, n.opts); err != nil {
			return e, err
		}
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &n.bucket, Key: &e.Key})
	if err != nil {
		return e, fmt.Errorf("HEAD %s: %w", e.Key, err)
	}
	if e.Size == nil {
		e.Size = head.ContentLength
	}
	e.ContentType = aws.ToString(head.ContentType)
	return e, nil
}

// findKey finds the object a keyless POST notification is about: under the
// prefix, with its ETag and size, not announced before; the newest wins.
func (n *Notifications) findKey(ctx context.Context, client *s3.Client, e uploadevent.Event) (string, error) {
	var best string
	var bestTime time.Time
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &n.bucket, Prefix: &n.opts.Prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list %s to find a POST upload's key: %w", n.opts.Prefix, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if strings.Trim(aws.ToString(o.ETag), `"`) != e.ETag || (e.Size != nil && aws.ToInt64(o.Size) != *e.Size) || n.announced(key) {
				continue
			}
			if t := aws.ToTime(o.LastModified); best == "" || t.After(bestTime) {
				best, bestTime = key, t
			}
		}
	}
	if best == "" {
		return "", fmt.Errorf("no unannounced object under %s has ETag %s", n.opts.Prefix, e.ETag)
	}
	return best, nil
}

func (n *Notifications) announced(key string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.seen[key]
}

func (n *Notifications) add(e uploadevent.Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, e)
	if len(n.events) > maxKeptEvents {
		n.events = n.events[len(n.events)-maxKeptEvents:]
	}
	n.seen[e.Key] = true
	close(n.added)
	n.added = make(chan struct{})
}

func (n *Notifications) fail(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.errs = append(n.errs, err.Error())
}

// Events returns the events received so far, oldest first.
func (n *Notifications) Events() []uploadevent.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]uploadevent.Event(nil), n.events...)
}

// Errors returns the notifications the receiver could not turn into events.
func (n *Notifications) Errors() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.errs...)
}

// WaitFor returns the first event for key, waiting until ctx ends.
func (n *Notifications) WaitFor(ctx context.Context, key string) (uploadevent.Event, error) {
	for {
		n.mu.Lock()
		for _, e := range n.events {
			if e.Key == key {
				n.mu.Unlock()
				return e, nil
			}
		}
		added := n.added
		n.mu.Unlock()
		select {
		case <-added:
		case <-ctx.Done():
			return uploadevent.Event{}, fmt.Errorf("no notification for %s: %w (receiver errors: %v)", key, ctx.Err(), n.Errors())
		}
	}
}

// PageHandler serves the events as JSON for the upload page (GET
// /notifications?after=N: the events after the first N), so the page shows
// what the application would have been told.
func (n *Notifications) PageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after, _ := strconv.Atoi(r.URL.Query().Get("after"))
		all := n.Events()
		if after < 0 || after > len(all) {
			after = len(all)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(struct {
			Total  int                 `json:"total"`
			Events []uploadevent.Event `json:"events"`
		}{len(all), all[after:]})
	})
}

// close stops the receiver.
func (n *Notifications) close(ctx context.Context) error {
	if n.srv == nil {
		return nil
	}
	return n.srv.Shutdown(ctx)
}
