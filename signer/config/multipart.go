package config

import "github.com/s3presign/s3presign/signer/internal/rules"

// Defaults of the multipart settings. The threshold's default depends on
// EnvMaxSize: the smaller of DefaultMultipartThreshold and that limit.
const (
	DefaultMultipartThreshold = 100 << 20
	DefaultPartSize           = 16 << 20
	DefaultMaxMultipartSize   = 5 << 30
)

// multipartVars are the raw multipart settings, read before validation.
type multipartVars struct {
	threshold         string
	partSize, maxSize int64
}

// readMultipart reads the multipart settings.
func (l *loader) readMultipart() multipartVars {
	var v multipartVars
	v.threshold = l.str(EnvMultipartThreshold, "")
	v.partSize = l.size(EnvPartSize, DefaultPartSize)
	v.maxSize = l.size(EnvMaxMultipartSize, DefaultMaxMultipartSize)
	return v
}

// checkMultipart validates the multipart settings against each other and
// the single-upload limit, naming the setting at fault for each problem.
func (l *loader) checkMultipart(c *Config, v multipartVars) {
	m := rules.Multipart{PartSize: v.partSize, MaxSize: v.maxSize}
	if v.threshold == "" {
		m.Threshold = min(DefaultMultipartThreshold, c.Limits.MaxSize)
	} else {
		m.Threshold = l.sizeOf(EnvMultipartThreshold, v.threshold)
	}
	if m.PartSize > 0 && (m.PartSize < rules.MinPartSize || m.PartSize > rules.MaxPartSize) {
		l.fail(EnvPartSize, "%d is outside 5MiB..5GiB (%d..%d bytes), S3's part size limits", m.PartSize, rules.MinPartSize, rules.MaxPartSize)
	}
	if m.MaxSize > 0 && m.PartSize >= rules.MinPartSize && m.PartSize <= rules.MaxPartSize && m.MaxSize > rules.MaxParts*m.PartSize {
		l.fail(EnvMaxMultipartSize, "%d bytes needs more than %d parts of %s=%d; raise %s to at least %d or lower this",
			m.MaxSize, rules.MaxParts, EnvPartSize, m.PartSize, EnvPartSize, (m.MaxSize-1)/rules.MaxParts+1)
	}
	if m.Threshold > 0 && c.Limits.MaxSize > 0 {
		switch {
		case m.Threshold > c.Limits.MaxSize:
			l.fail(EnvMultipartThreshold, "%d is above %s (%d): files between the two could be uploaded neither way", m.Threshold, EnvMaxSize, c.Limits.MaxSize)
		case m.MaxSize > 0 && m.Threshold > m.MaxSize:
			l.fail(EnvMultipartThreshold, "%d is above %s (%d)", m.Threshold, EnvMaxMultipartSize, m.MaxSize)
		}
	}
	if m.Threshold > 0 && m.PartSize > 0 && m.MaxSize > 0 && c.Limits.MaxSize > 0 {
		if err := m.Validate(c.Limits.MaxSize); err != nil && len(l.errs) == 0 {
			// A guard: every problem Validate knows is named above.
			l.fail(EnvMaxMultipartSize, "%v", oneLine(err))
		}
	}
	c.Multipart = m
}
