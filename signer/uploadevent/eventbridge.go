package uploadevent

import (
	"encoding/json"
	"fmt"
	"time"
)

// EventBridge sources and detail types the AWS rule matches.
const (
	// SourceS3 and DetailObjectCreated: S3's Object Created event.
	SourceS3            = "aws.s3"
	DetailObjectCreated = "Object Created"
	// SourceGuardDuty and DetailScanResult: GuardDuty Malware Protection for
	// S3's scan result.
	SourceGuardDuty  = "aws.guardduty"
	DetailScanResult = "GuardDuty Malware Protection Object Scan Result"
)

// envelope is EventBridge's event, as an SQS message body or an API
// destination's request body carries it.
type envelope struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       time.Time       `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

// s3Detail is the detail of S3's Object Created.
type s3Detail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      *int64 `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
	} `json:"object"`
	Reason string `json:"reason"`
}

// scanDetail is the detail of GuardDuty's scan result.
type scanDetail struct {
	ResourceType    string `json:"resourceType"`
	S3ObjectDetails struct {
		BucketName string `json:"bucketName"`
		ObjectKey  string `json:"objectKey"`
		ETag       string `json:"eTag"`
		VersionID  string `json:"versionId"`
	} `json:"s3ObjectDetails"`
	ScanResultDetails struct {
		ScanResultStatus string `json:"scanResultStatus"`
		Threats          []struct {
			Name string `json:"name"`
		} `json:"threats"`
	} `json:"scanResultDetails"`
}

// ParseEventBridge turns one EventBridge event (the body of a message in the
// environment's queue, or of a request to the API destination) into an
// upload event: S3's Object Created becomes Ready (Created when
// o.Scanning), GuardDuty's scan result Ready or Rejected. Other events, and
// keys outside the prefix, are ErrIgnored. The key is used as EventBridge
// gives it: S3's EventBridge documentation describes the object key with
// no URL encoding, unlike its older notification format ("red+flower.jpg");
// a key that does not follow the signer's key grammar is refused, not
// guessed at.
func ParseEventBridge(raw []byte, o Options) (Event, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return Event{}, fmt.Errorf("uploadevent: not an EventBridge event: %w", err)
	}
	switch {
	case env.Source == SourceS3 && env.DetailType == DetailObjectCreated:
		var d s3Detail
		if err := json.Unmarshal(env.Detail, &d); err != nil {
			return Event{}, fmt.Errorf("uploadevent: Object Created detail: %w", err)
		}
		return created(o, object{
			bucket: d.Bucket.Name, key: d.Object.Key, versionID: d.Object.VersionID,
			etag: d.Object.ETag, size: d.Object.Size, time: env.Time,
			source: SourceS3 + ":" + d.Reason, sourceID: env.ID,
		})
	case env.Source == SourceGuardDuty && env.DetailType == DetailScanResult:
		var d scanDetail
		if err := json.Unmarshal(env.Detail, &d); err != nil {
			return Event{}, fmt.Errorf("uploadevent: scan result detail: %w", err)
		}
		if d.ResourceType != "" && d.ResourceType != "S3_OBJECT" {
			return Event{}, fmt.Errorf("%w: scan of a %s", ErrIgnored, d.ResourceType)
		}
		var threats []string
		for _, th := range d.ScanResultDetails.Threats {
			threats = append(threats, th.Name)
		}
		s := d.S3ObjectDetails
		return scanned(o, object{
			bucket: s.BucketName, key: s.ObjectKey, versionID: s.VersionID, etag: s.ETag,
			time: env.Time, source: SourceGuardDuty, sourceID: env.ID,
		}, d.ScanResultDetails.ScanResultStatus, threats)
	}
	return Event{}, fmt.Errorf("%w: %s %q", ErrIgnored, env.Source, env.DetailType)
}
