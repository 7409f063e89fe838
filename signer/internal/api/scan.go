package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/s3presign/s3presign/signer/internal/apierr"
	"github.com/s3presign/s3presign/signer/internal/scan"
)

// scanRetryAfter is the Retry-After (seconds) of a "scan pending" answer:
// GuardDuty usually tags a small object within seconds.
const scanRetryAfter = "5"

// scanFailure is a scan-check failure: a code and message for the client,
// the cause for the log.
type scanFailure struct {
	code, message string
	cause         error
}

func (e *scanFailure) Error() string         { return e.message + ": " + e.cause.Error() }
func (e *scanFailure) ErrorCode() string     { return e.code }
func (e *scanFailure) PublicMessage() string { return e.message }
func (e *scanFailure) Unwrap() error         { return e.cause }

// checkScan, when the scan check is on (Deps.Scan), reads the malware scan
// result of key before a download URL is issued for it:
//
//   - no result yet: 409 conflict "scan pending" (with Retry-After), since
//     the bucket policy would refuse the URL until GuardDuty tags the object;
//   - THREATS_FOUND: 403 forbidden "threat found";
//   - any other status but NO_THREATS_FOUND (UNSUPPORTED, ACCESS_DENIED,
//     FAILED): 403 forbidden, the file was not vouched for;
//   - NO_THREATS_FOUND: nil, the URL is issued.
//
// A missing object is 404; S3 unreachable is 503; anything else (such as
// the signer's role lacking s3:GetObjectTagging) is internal.
func (d *Deps) checkScan(w http.ResponseWriter, r *http.Request, key string) error {
	if d.Scan == nil {
		return nil
	}
	res, err := d.Scan.Check(r.Context(), key)
	switch {
	case errors.Is(err, scan.ErrNoSuchObject):
		return &scanFailure{apierr.NotFound, "no such object", err}
	case errors.Is(err, scan.ErrUnavailable):
		return &scanFailure{apierr.Unavailable, "cannot read the malware scan result now; try again", err}
	case err != nil:
		return fmt.Errorf("malware scan check of %q: %w", key, err)
	}
	switch res.Verdict() {
	case scan.Clean:
		return nil
	case scan.Pending:
		w.Header().Set("Retry-After", scanRetryAfter)
		return &apierr.Error{Code: apierr.Conflict, Message: "scan pending: the file has not been checked for malware yet; try again in a few seconds"}
	default:
		if res.Status == scan.StatusThreats {
			return &apierr.Error{Code: apierr.Forbidden, Message: "threat found: the malware scan flagged this file; it is not served"}
		}
		return &apierr.Error{Code: apierr.Forbidden, Message: fmt.Sprintf("the malware scan could not vouch for this file (%s); it is not served", res.Status)}
	}
}
