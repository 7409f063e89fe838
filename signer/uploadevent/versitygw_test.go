package uploadevent

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3presign/s3presign/signer/internal/presign"
	"github.com/s3presign/s3presign/signer/s3test"
)

// webhook collects the bodies versitygw posts.
type webhook struct {
	mu     sync.Mutex
	bodies [][]byte
	got    chan struct{}
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, b)
	h.mu.Unlock()
	select {
	case h.got <- struct{}{}:
	default:
	}
}

// wait returns the bodies once n object-created ones have come (the
// start-up test event does not count), or fails after 10s.
func (h *webhook) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		var created [][]byte
		for _, b := range h.bodies {
			if bytes.Contains(b, []byte(`"s3:ObjectCreated:`)) {
				created = append(created, b)
			}
		}
		h.mu.Unlock()
		if len(created) >= n {
			return created
		}
		select {
		case <-h.got:
		case <-deadline:
			t.Fatalf("got %d object-created notifications, want %d", len(created), n)
		}
	}
}

// TestVersitygwNotifications uploads through PUT, POST and multipart to a
// real versitygw with --event-webhook-url and parses what it sends: one
// event per upload, with the key, size and caller of that upload (after the
// documented gaps are filled). With -update it rewrites the versitygw-*.json
// samples the golden test reads.
func TestVersitygwNotifications(t *testing.T) {
	hook := &webhook{got: make(chan struct{}, 1)}
	rx := httptest.NewServer(hook)
	defer rx.Close()
	srv := s3test.Start(t, s3test.WithArgs("--event-webhook-url", rx.URL))
	const bucket = "event-bucket"
	if err := srv.CreateBucket(srv.RootCredentials(), bucket); err != nil {
		t.Fatal(err)
	}
	c := srv.RootClient()
	ctx := t.Context()
	putKey := "uploads/al+ice/abc/Grüße 写真 (1)&=.png"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: &putKey, Body: strings.NewReader("hello"), ContentType: aws.String("image/png")}); err != nil {
		t.Fatal(err)
	}
	mpKey := "uploads/bob/mp/big file.pdf"
	multipartUpload(ctx, t, c, bucket, mpKey, "part-one")
	postKey := "uploads/carol/post/x.png"
	postUpload(t, srv, bucket, postKey, "postbody")

	bodies := hook.wait(t, 3)
	o := Options{Prefix: "uploads/", NamedCallers: true}
	var events []Event
	for _, b := range bodies {
		got, err := ParseVersitygw(b, o)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		events = append(events, got...)
	}
	if len(events) != 3 {
		t.Fatalf("%d events, want 3: %+v", len(events), events)
	}
	byKey := map[string]Event{}
	for _, e := range events {
		if e.NeedsKey() { // versitygw's POST gap: the receiver supplies the key
			var err error
			if e, err = e.WithKey(postKey, o); err != nil {
				t.Fatal(err)
			}
		}
		byKey[e.Key] = e
	}
	for key, want := range map[string]struct {
		caller string
		size   int64 // -1: versitygw does not say (multipart)
	}{putKey: {"al+ice", 5}, mpKey: {"bob", -1}, postKey: {"carol", 8}} {
		e, ok := byKey[key]
		if !ok {
			t.Fatalf("no event for %q: %+v", key, events)
		}
		if e.Type != Ready || e.Caller != want.caller || e.Scan != ScanOff || e.Bucket != bucket {
			t.Errorf("%q: %+v", key, e)
		}
		if (want.size < 0) != (e.Size == nil) || e.Size != nil && *e.Size != want.size {
			t.Errorf("%q: size %v, want %d", key, e.Size, want.size)
		}
	}
	if *update {
		for _, b := range bodies {
			name := "versitygw-put.json"
			switch {
			case bytes.Contains(b, []byte(completeEvent)):
				name = "versitygw-complete.json"
			case bytes.Contains(b, []byte(postEvent)):
				name = "versitygw-post.json"
			}
			if err := os.WriteFile(filepath.Join("testdata", name), append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func multipartUpload(ctx context.Context, t *testing.T, c *s3.Client, bucket, key, body string) {
	t.Helper()
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ContentType: aws.String("application/pdf")})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: up.ETag, PartNumber: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
}

// postUpload sends a browser-style form upload signed by the signer's own
// POST policy code, as the root user.
func postUpload(t *testing.T, srv *s3test.Server, bucket, key, body string) {
	t.Helper()
	p, err := presign.New(presign.Target{Endpoint: srv.Endpoint, Region: srv.Region, Bucket: bucket, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	u, fields, err := p.PresignPost(srv.RootCredentials(), time.Now(), presign.PostInput{Key: key, ContentType: "image/png", MinSize: 1, MaxSize: 100, Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "x.png")
	fw.Write([]byte(body))
	mw.Close()
	resp, err := http.Post(u, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST upload: %d %s", resp.StatusCode, b)
	}
}

// TestVersitygwDoesNotRetry proves what versitygw v1.8.0 does when the
// webhook receiver is down, so the docs can say it: it refuses to start
// when the receiver does not answer its start-up test event, and an event
// sent while the receiver is down is lost (one attempt, no retry, no queue);
// events after the receiver is back arrive. Control: the same upload with
// the receiver up arrives.
func TestVersitygwDoesNotRetry(t *testing.T) {
	// Down at start: versitygw exits.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if srv, err := s3test.Run(t.Context(), s3test.Config{ExtraArgs: []string{"--event-webhook-url", "http://" + addr + "/"}}); err == nil {
		srv.Close()
		t.Fatal("versitygw started with its webhook receiver down")
	} else if !strings.Contains(err.Error(), "webhook") {
		t.Fatalf("start with the receiver down failed for another reason: %v", err)
	}

	// Up at start, down for one upload, back for the next.
	hook := &webhook{got: make(chan struct{}, 1)}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rx := &http.Server{Handler: hook}
	go rx.Serve(ln)
	srv := s3test.Start(t, s3test.WithArgs("--event-webhook-url", "http://"+addr+"/"))
	const bucket = "retry-bucket"
	if err := srv.CreateBucket(srv.RootCredentials(), bucket); err != nil {
		t.Fatal(err)
	}
	c := srv.RootClient()
	put := func(key string) {
		if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: &key, Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	put("uploads/before.png") // control
	hook.wait(t, 1)
	// Down: the port answers by closing every connection, and counts them,
	// so the test knows versitygw tried while the receiver was down.
	rx.Close()
	if ln, err = net.Listen("tcp", addr); err != nil {
		t.Fatal(err)
	}
	tried := make(chan struct{}, 16)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
			tried <- struct{}{}
		}
	}()
	put("uploads/while-down.png")
	select {
	case <-tried:
	case <-time.After(10 * time.Second):
		t.Fatal("versitygw did not try to send the event while the receiver was down")
	}
	ln.Close()
	// Back up.
	if ln, err = net.Listen("tcp", addr); err != nil {
		t.Fatal(err)
	}
	rx = &http.Server{Handler: hook}
	go rx.Serve(ln)
	defer rx.Close()
	put("uploads/after.png")
	bodies := hook.wait(t, 2)
	var keys []string
	for _, b := range bodies {
		events, err := ParseVersitygw(b, Options{Prefix: "uploads/"})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, events[0].Key)
	}
	if strings.Join(keys, " ") != "uploads/before.png uploads/after.png" {
		t.Fatalf("events for %v, want before and after only", keys)
	}
	// A later upload's event has come, so a retry of the lost one would
	// have had every chance; wait one more round trip to be sure.
	put("uploads/last.png")
	bodies = hook.wait(t, 3)
	for _, b := range bodies {
		if bytes.Contains(b, []byte("while-down")) {
			t.Fatalf("versitygw retried: %s", b)
		}
	}
}
