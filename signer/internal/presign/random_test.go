package presign

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestPresignMatchesSDKRandom compares Presign with the SDK's PresignClient
// on thousands of random keys, content types, dispositions, upload IDs and
// lifetimes drawn from an alphabet of the characters that need care
// (reserved, percent, quotes, control bytes, multi-byte UTF-8, runs of
// spaces). Inputs Presign refuses (control characters in a header value)
// must wrap ErrInvalidRequest. The seed is fixed, so a failure reproduces.
func TestPresignMatchesSDKRandom(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aZ09 -_.~/+=&%#?;:@,$!*'()[]\"\\\t\x00\x7féß日🎉  ")
	str := func(max int) string {
		b := make([]rune, rng.IntN(max))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tg := range []sdkTarget{sdkTargets[0], sdkTargets[3]} {
		p, err := New(tg.target)
		if err != nil {
			t.Fatal(err)
		}
		creds := testCreds[1].creds
		pc := newSDKPresignClient(tg, creds, at, false)
		compared := 0
		for i := 0; i < n; i++ {
			c := sdkCase{
				op:  []string{"PutObject", "GetObject", "UploadPart"}[i%3],
				key: str(30), expires: time.Duration(1+rng.IntN(604800)) * time.Second,
			}
			switch c.op {
			case "PutObject":
				c.contentType, c.contentLength = str(12), int64(rng.IntN(3))*7
			case "GetObject":
				c.disposition, c.responseType = str(20), str(8)
			case "UploadPart":
				c.part, c.uploadID, c.contentLength = int32(1+rng.IntN(10000)), str(10), int64(rng.IntN(2))*5
			}
			got, err := p.Presign(creds, at, c.request())
			if err != nil {
				if !hasCTL(c.contentType) && c.key != "" {
					t.Fatalf("%+v refused: %v", c, err)
				}
				continue
			}
			compared++
			if want, _ := c.sdkPresign(t, pc, tg.target.Bucket); got != want {
				t.Fatalf("%s: %+v\n got: %s\nwant: %s", tg.name, c, got, want)
			}
		}
		if compared < n/2 {
			t.Errorf("%s: only %d of %d inputs compared", tg.name, compared, n)
		}
	}
}
