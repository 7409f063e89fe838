// Package uploadevent is the "upload ready" event: what the team's
// application learns when an object under the upload prefix is complete
// and, where malware scanning is on, scanned clean, or "upload rejected"
// when the scan found a threat. It turns the raw events S3 and GuardDuty
// send (through EventBridge in AWS, through versitygw's webhook locally)
// into one documented shape (schema SchemaV1, see signer/README.md) with
// the same parser in both places, so a consumer written against the local
// stack reads the deployed queue unchanged.
//
// An event never carries a URL: the consumer asks the signer for one.
package uploadevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/internal/objectkey"
	"github.com/s3presign/s3presign/signer/keyscope"
)

// SchemaV1 is the value of the schema field of every event this package
// builds. A change that removes or redefines a field gets a new version.
const SchemaV1 = "s3presign.upload/v1"

// Type says what happened to the upload.
type Type string

// The event types.
const (
	// Ready: the object is complete and, where scanning is on, clean. This is
	// the one event a consumer records "user X uploaded file Y" on.
	Ready Type = "upload.ready"
	// Rejected: the scan did not vouch for the object (a threat, or a scan
	// that could not run); the signer will not serve it.
	Rejected Type = "upload.rejected"
	// Created: the object is complete but scanning is on and its result has
	// not come yet; a Ready or Rejected event for the same key follows.
	Created Type = "upload.created"
)

// Scan results besides GuardDuty's own statuses (NO_THREATS_FOUND,
// THREATS_FOUND, UNSUPPORTED, ACCESS_DENIED, FAILED).
const (
	// ScanOff: the environment does not scan (and locally nothing scans), so
	// ready follows creation.
	ScanOff = "NOT_SCANNED"
	// ScanPending: scanning is on and the result has not come yet.
	ScanPending = "PENDING"
)

// Event is one upload event (schema SchemaV1). Fields that the source event
// does not carry are left out rather than guessed.
type Event struct {
	// Schema is SchemaV1.
	Schema string `json:"schema"`
	// Type is Ready, Rejected or Created.
	Type Type `json:"type"`
	// Bucket and Key name the object; VersionID is its version when the
	// bucket is versioned (always in AWS).
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	// Size is the object's size in bytes, when the source event says it
	// (S3's Object Created does; GuardDuty's scan result does not).
	Size *int64 `json:"size,omitempty"`
	// ETag is the object's entity tag without quotes.
	ETag string `json:"etag,omitempty"`
	// ContentType is the object's type when known: no S3 event carries it,
	// so only a receiver that reads the object's head fills it in.
	ContentType string `json:"contentType,omitempty"`
	// Caller is the key's caller segment, read with keyscope.Caller (the
	// signer's own rule); "" in auth mode none.
	Caller string `json:"caller"`
	// Time is when the source event happened: the upload's completion for
	// Object Created, the scan's result for a GuardDuty event.
	Time time.Time `json:"time"`
	// Scan is the malware scan result: a GuardDuty status, ScanOff or
	// ScanPending.
	Scan string `json:"scan"`
	// Threats names what the scan found (Rejected only).
	Threats []string `json:"threats,omitempty"`
	// Source names the raw event: "aws.s3:<reason>", "aws.guardduty" or
	// "versitygw:<eventName>".
	Source string `json:"source"`
	// SourceID is the raw event's id where it has one (EventBridge), for a
	// consumer that de-duplicates (SQS delivers at least once).
	SourceID string `json:"sourceId,omitempty"`
}

// Options are the environment's settings the parser needs.
type Options struct {
	// Prefix is the upload prefix (cdk.json uploadPrefix, the signer's
	// S3PRESIGN_KEY_PREFIX). Events for keys outside it are ErrIgnored.
	Prefix string
	// NamedCallers is true when the auth mode names callers (apikey, oidc),
	// so every key has a caller segment; false for mode none.
	NamedCallers bool
	// Scanning is true when GuardDuty scans uploads (malwareScanning): then
	// an Object Created event is Created, not Ready.
	Scanning bool
}

// ErrIgnored marks a well-formed event that is not about an upload: another
// event type, another prefix, versitygw's start-up test event. A consumer
// deletes it from the queue and moves on.
var ErrIgnored = errors.New("not an upload event")

// object is what every source says about the object.
type object struct {
	bucket, key, versionID, etag string
	size                         *int64
	time                         time.Time
	source, sourceID             string
}

// build checks the key against the grammar and the prefix, reads its caller
// and fills in the event.
func build(o Options, obj object, typ Type, scan string, threats []string) (Event, error) {
	if o.Prefix == "" {
		return Event{}, errors.New("uploadevent: Options.Prefix is required")
	}
	if obj.bucket == "" || obj.key == "" {
		return Event{}, fmt.Errorf("uploadevent: %s event names no bucket or key", obj.source)
	}
	if !strings.HasPrefix(obj.key, o.Prefix) {
		return Event{}, fmt.Errorf("%w: key %q is outside the prefix %q", ErrIgnored, obj.key, o.Prefix)
	}
	if err := objectkey.Valid(obj.key, o.Prefix); err != nil {
		return Event{}, fmt.Errorf("uploadevent: key %q does not follow the key grammar: %v", obj.key, err)
	}
	caller, err := keyscope.Caller(obj.key, o.Prefix, o.NamedCallers)
	if err != nil {
		return Event{}, fmt.Errorf("uploadevent: key %q: %v", obj.key, err)
	}
	return Event{
		Schema: SchemaV1, Type: typ,
		Bucket: obj.bucket, Key: obj.key, VersionID: obj.versionID,
		Size: obj.size, ETag: strings.Trim(obj.etag, `"`),
		Caller: caller, Time: obj.time.UTC(),
		Scan: scan, Threats: threats,
		Source: obj.source, SourceID: obj.sourceID,
	}, nil
}

// created is the event of a completed object: Ready without scanning,
// Created (scan pending) with it.
func created(o Options, obj object) (Event, error) {
	if o.Scanning {
		return build(o, obj, Created, ScanPending, nil)
	}
	return build(o, obj, Ready, ScanOff, nil)
}

// scanned is the event of a scan result: Ready when clean, Rejected for any
// other status (the signer serves only NO_THREATS_FOUND).
func scanned(o Options, obj object, status string, threats []string) (Event, error) {
	if status == config.ScanStatusClean {
		return build(o, obj, Ready, status, nil)
	}
	if status == "" {
		return Event{}, fmt.Errorf("uploadevent: scan result for %q has no status", obj.key)
	}
	return build(o, obj, Rejected, status, threats)
}

// Marshal encodes e as one line of JSON, the form the docs' schema shows.
func (e Event) Marshal() ([]byte, error) { return json.Marshal(e) }
