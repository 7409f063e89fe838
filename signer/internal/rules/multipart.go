package rules

import (
	"errors"
	"fmt"
	"time"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// S3's multipart limits, which no configuration can change.
const (
	// MinPartSize is the smallest part S3 accepts, except for the last (5 MiB).
	MinPartSize int64 = 5 << 20
	// MaxPartSize is the largest part S3 accepts (5 GiB).
	MaxPartSize int64 = 5 << 30
	// MaxParts is the highest part number S3 accepts.
	MaxParts = 10000
	// MaxObjectSize is the largest object a multipart upload can write:
	// MaxParts parts of MaxPartSize (about 48.8 TiB).
	MaxObjectSize = MaxParts * MaxPartSize
	// MultipartLifetime is how long a multipart upload's token stays valid.
	// It matches the bucket's lifecycle rule, which aborts uploads left
	// incomplete for one day.
	MultipartLifetime = 24 * time.Hour
)

// Multipart are the configurable multipart limits.
type Multipart struct {
	// Threshold is the size from which clients should use multipart
	// (advice to clients; at most the single PUT/POST limit).
	Threshold int64
	// PartSize is the size of every part but the last, in bytes.
	PartSize int64
	// MaxSize is the largest object a multipart upload may write.
	MaxSize int64
}

// Validate reports every problem with the multipart limits. maxSingle is
// the single PUT/POST limit (Limits.MaxSize): files above it can only be
// uploaded in parts, so the threshold must not be above it.
func (m Multipart) Validate(maxSingle int64) error {
	var errs []error
	if m.PartSize < MinPartSize || m.PartSize > MaxPartSize {
		errs = append(errs, fmt.Errorf("part size %d is outside %d..%d bytes (5 MiB..5 GiB)", m.PartSize, MinPartSize, MaxPartSize))
	}
	if m.MaxSize < 1 {
		errs = append(errs, fmt.Errorf("max multipart size %d must be at least 1 byte", m.MaxSize))
	} else if m.PartSize > 0 && m.MaxSize > MaxParts*m.PartSize {
		errs = append(errs, fmt.Errorf("max multipart size %d needs more than %d parts of %d bytes; raise the part size to at least %d",
			m.MaxSize, MaxParts, m.PartSize, ceilDiv(m.MaxSize, MaxParts)))
	}
	if m.Threshold < 1 || m.Threshold > maxSingle {
		errs = append(errs, fmt.Errorf("multipart threshold %d is outside 1..%d bytes (the single upload limit)", m.Threshold, maxSingle))
	} else if m.MaxSize >= 1 && m.Threshold > m.MaxSize {
		errs = append(errs, fmt.Errorf("multipart threshold %d is above the max multipart size %d", m.Threshold, m.MaxSize))
	}
	return errors.Join(errs...)
}

// CheckSize checks the declared size of a multipart upload.
func (m Multipart) CheckSize(size int64) error {
	if size < 1 {
		return refuse(apierr.Invalid, "size must be at least 1 byte")
	}
	if size > m.MaxSize {
		return refuse(apierr.TooLarge, "size %d is above the multipart limit of %d bytes", size, m.MaxSize)
	}
	return nil
}

// PartCount is the number of parts of an object of size bytes in parts of
// partSize bytes (both at least 1).
func PartCount(size, partSize int64) int {
	return int(ceilDiv(size, partSize))
}

// PartLength is the length of part n (1-based) of an object of size bytes in
// parts of partSize bytes: partSize, except for the last part, which holds
// the rest. n must be between 1 and PartCount(size, partSize).
func PartLength(size, partSize int64, n int) int64 {
	return min(partSize, size-int64(n-1)*partSize)
}

// MaxUndeclaredParts is the highest part number allowed for an upload whose
// size was not declared (the Uppy routes): enough parts of MinPartSize for
// the largest object allowed, and never above MaxParts.
func (m Multipart) MaxUndeclaredParts() int {
	return min(MaxParts, int(ceilDiv(m.MaxSize, MinPartSize)))
}

// ceilDiv is a/b rounded up, for a >= 0 and b >= 1, without overflow.
func ceilDiv(a, b int64) int64 {
	if a == 0 {
		return 0
	}
	return (a-1)/b + 1
}
