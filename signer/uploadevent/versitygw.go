package uploadevent

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// versitygwBody is what versitygw (v1.8.0) POSTs to --event-webhook-url: S3's
// notification format ({"Records": [...]}), one record per request, except
// that the key is not URL-encoded (AWS's is) and eventName keeps the "s3:"
// prefix. Its start-up test event has no Records.
type versitygwBody struct {
	Records []struct {
		EventTime string `json:"eventTime"`
		EventName string `json:"eventName"`
		S3        struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key       string  `json:"key"`
				Size      int64   `json:"size"`
				ETag      *string `json:"eTag"`
				VersionID *string `json:"versionId"`
				Sequencer string  `json:"sequencer"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
	Event string `json:"Event"`
}

// Local gaps of versitygw v1.8.0's notifications, which ParseVersitygw
// reports by leaving the field empty for the receiver to fill in.
const (
	// completeEvent carries size 0 whatever the object's size.
	completeEvent = "s3:ObjectCreated:CompleteMultipartUpload"
	// postEvent carries no key: versitygw reads it from the request path,
	// which for a browser POST is the bucket alone.
	postEvent = "s3:ObjectCreated:Post"
)

// ParseVersitygw turns one request body from versitygw's event webhook into
// upload events, the local counterpart of ParseEventBridge. Only
// s3:ObjectCreated:* records count; the start-up test event and other
// records are ErrIgnored. Locally nothing scans, so ready follows creation
// (o.Scanning should be false).
//
// Two gaps of versitygw are left for the caller to fill from the object's
// head: a multipart completion's Size is nil (versitygw says 0), and a POST
// upload's Key is "" (see NeedsKey); Parse checks the key only when there is
// one.
func ParseVersitygw(raw []byte, o Options) ([]Event, error) {
	var body versitygwBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, fmt.Errorf("uploadevent: not a versitygw notification: %w", err)
	}
	if len(body.Records) == 0 {
		return nil, fmt.Errorf("%w: versitygw %q", ErrIgnored, body.Event)
	}
	var out []Event
	for _, r := range body.Records {
		if !strings.HasPrefix(r.EventName, "s3:ObjectCreated:") {
			continue
		}
		when, err := time.Parse(time.RFC3339, r.EventTime)
		if err != nil {
			return nil, fmt.Errorf("uploadevent: versitygw eventTime %q: %w", r.EventTime, err)
		}
		obj := object{
			bucket: r.S3.Bucket.Name, key: r.S3.Object.Key,
			time: when, source: "versitygw:" + r.EventName,
		}
		if r.S3.Object.ETag != nil {
			obj.etag = *r.S3.Object.ETag
		}
		if r.S3.Object.VersionID != nil {
			obj.versionID = *r.S3.Object.VersionID
		}
		if r.EventName != completeEvent {
			size := r.S3.Object.Size
			obj.size = &size
		}
		if obj.key == "" && r.EventName == postEvent {
			out = append(out, Event{Schema: SchemaV1, Type: Ready, Bucket: obj.bucket, ETag: strings.Trim(obj.etag, `"`),
				Size: obj.size, Time: when.UTC(), Scan: ScanOff, Source: obj.source})
			continue
		}
		e, err := created(o, obj)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no object-created record", ErrIgnored)
	}
	return out, nil
}

// NeedsKey reports whether e came from a versitygw POST notification without
// a key; the receiver finds the object by ETag and size and calls WithKey.
func (e Event) NeedsKey() bool { return e.Key == "" }

// WithKey returns e for the object key, checked against the grammar and its
// caller read as for any other event: the second half of a keyless POST
// notification.
func (e Event) WithKey(key string, o Options) (Event, error) {
	obj := object{bucket: e.Bucket, key: key, versionID: e.VersionID, etag: e.ETag, size: e.Size, time: e.Time, source: e.Source, sourceID: e.SourceID}
	return created(o, obj)
}
