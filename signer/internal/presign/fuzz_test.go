package presign

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzPresignMatchesSDK uses the SDK's PresignClient as the oracle: for any
// key, content type, disposition and lifetime that Presign accepts, the URL
// is byte-identical; what it refuses, it refuses with ErrInvalidRequest
// (never a panic). The seeds run with every `go test`; explore with
// `go test -fuzz FuzzPresignMatchesSDK ./internal/presign/`.
func FuzzPresignMatchesSDK(f *testing.F) {
	f.Add("plain.txt", "text/plain", "", int64(0), uint32(900))
	f.Add("a b/c+d~e=f&g%h#i", "text/plain; charset=utf-8", `attachment; filename="x y.txt"`, int64(12), uint32(1))
	f.Add("日本語/🎉", "  image/png  ", "inline; filename*=UTF-8''%E6%97%A5", int64(5<<20), uint32(604800))
	f.Add("/", "a  b", "\x00", int64(1), uint32(604801))
	f.Add("k", "", "", int64(-1), uint32(0))
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tg := sdkTargets[3]
	p, err := New(tg.target)
	if err != nil {
		f.Fatal(err)
	}
	creds := testCreds[1].creds
	pc := newSDKPresignClient(tg, creds, at, false)
	f.Fuzz(func(t *testing.T, key, contentType, disposition string, length int64, seconds uint32) {
		put := sdkCase{op: "PutObject", key: key, contentType: contentType, contentLength: length, expires: time.Duration(seconds) * time.Second}
		get := sdkCase{op: "GetObject", key: key, disposition: disposition, expires: put.expires}
		for _, c := range []sdkCase{put, get} {
			r := c.request()
			if c.contentLength < 0 {
				r.Headers = append(r.Headers, Header{"content-length", "-1"}) // a value, though nonsense, is still only signed
			}
			got, err := p.Presign(creds, at, r)
			if err != nil {
				if !errors.Is(err, ErrInvalidRequest) {
					t.Fatalf("error %v does not wrap ErrInvalidRequest", err)
				}
				if key != "" && utf8.ValidString(key) && len(key) <= MaxKeyLen && seconds >= 1 && seconds <= 604800 && !hasCTL(contentType) {
					t.Fatalf("valid input refused: %v", err)
				}
				continue
			}
			if c.contentLength < 0 {
				continue // the SDK does not sign a negative length
			}
			if want, _ := c.sdkPresign(t, pc, tg.target.Bucket); got != want {
				t.Fatalf("URL differs\n got: %s\nwant: %s", got, want)
			}
		}
	})
}
