package presign_test

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3presign/s3presign/signer/internal/presign"
)

// A presigned PUT that only accepts a 5-byte text/plain body and refuses to
// overwrite an existing object. The client must send every signed header.
func ExamplePresigner_Presign() {
	p, err := presign.New(presign.Target{Endpoint: "https://s3.eu-west-1.amazonaws.com", Region: "eu-west-1", Bucket: "my-bucket"})
	if err != nil {
		panic(err)
	}
	creds := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	url, err := p.Presign(creds, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), presign.Request{
		Method:  "PUT",
		Key:     "uploads/hello world.txt",
		Query:   []presign.Param{{Name: "x-id", Value: "PutObject"}},
		Headers: []presign.Header{{Name: "content-type", Value: "text/plain"}, {Name: "content-length", Value: "5"}, {Name: "if-none-match", Value: "*"}},
		Expires: 15 * time.Minute,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(url)
	// Output:
	// https://my-bucket.s3.eu-west-1.amazonaws.com/uploads/hello%20world.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20260301T120000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bif-none-match&x-id=PutObject&X-Amz-Signature=45f73459072f788e67775af13861037970adf59f31f2ef36cd626930f6898cc1
}
