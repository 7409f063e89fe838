package loadtest

import (
	"compress/gzip"
	"io"
	"os"
)

// DistrolessStaticBytes is the size of gcr.io/distroless/static-debian12,
// the final stage's base: "around 2 MiB", as the distroless README
// (github.com/GoogleContainerTools/distroless) states for its smallest image.
// It could not be measured here: no Docker engine, no registry access.
const DistrolessStaticBytes = 2 << 20

// DistrolessSource says where DistrolessStaticBytes comes from.
const DistrolessSource = `GoogleContainerTools/distroless README: "The smallest distroless image, gcr.io/distroless/static-debian12, is around 2 MiB"`

// ImageEstimate estimates the signer's container image: the static binary
// (the image's only layer of ours) on the distroless static base.
type ImageEstimate struct {
	BinaryBytes int64 `json:"binary_bytes"`
	// BinaryGzipBytes is the binary gzip-compressed, as a registry layer is.
	BinaryGzipBytes int64  `json:"binary_gzip_bytes"`
	BaseBytes       int64  `json:"base_bytes"`
	BaseSource      string `json:"base_source"`
	// TotalBytes is binary plus base, uncompressed.
	TotalBytes int64 `json:"total_bytes"`
}

// EstimateImage measures the binary and adds the base's published size.
func EstimateImage(binary string) (ImageEstimate, error) {
	f, err := os.Open(binary)
	if err != nil {
		return ImageEstimate{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ImageEstimate{}, err
	}
	var n countWriter
	zw := gzip.NewWriter(&n)
	if _, err := io.Copy(zw, f); err != nil {
		return ImageEstimate{}, err
	}
	if err := zw.Close(); err != nil {
		return ImageEstimate{}, err
	}
	return ImageEstimate{
		BinaryBytes: st.Size(), BinaryGzipBytes: int64(n),
		BaseBytes: DistrolessStaticBytes, BaseSource: DistrolessSource,
		TotalBytes: st.Size() + DistrolessStaticBytes,
	}, nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
