package policy_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3presign/s3presign/infra/config"
	"github.com/s3presign/s3presign/infra/policy"
)

const bucketARN = "arn:aws:s3:::example-bucket"

func env(referers, exempt []string) config.Environment {
	e := config.Defaults("dev")
	e.AllowedOrigins = []string{"https://app.example.com"}
	e.AllowedReferers = referers
	e.ExemptPrincipalArns = exempt
	e.MaxExpiry = time.Hour
	return e
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRefererStatementHasItsFullConditionBlock(t *testing.T) {
	doc := policy.BucketPolicy(env([]string{"https://app.example.com/*"}, []string{"arn:aws:iam::123456789012:role/backup"}), bucketARN)
	st, ok := doc.Find(policy.SidDenyForeignReferer)
	if !ok {
		t.Fatalf("no %s statement in %s", policy.SidDenyForeignReferer, mustJSON(t, doc))
	}
	got := mustJSON(t, st)
	want := `{"Sid":"DenyPresignedGetWithoutAllowedReferer","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],` +
		`"Resource":["arn:aws:s3:::example-bucket/*"],"Condition":{` +
		`"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/backup"]},` +
		`"StringEquals":{"s3:authType":["REST-QUERY-STRING"]},` +
		`"StringNotLike":{"aws:Referer":["https://app.example.com/*"]}}}`
	if got != want {
		t.Errorf("referer statement\n got %s\nwant %s", got, want)
	}
}

func TestRefererStatementWithoutExemptionsHasNoArnCondition(t *testing.T) {
	doc := policy.BucketPolicy(env([]string{"https://app.example.com/*"}, nil), bucketARN)
	st, ok := doc.Find(policy.SidDenyForeignReferer)
	if !ok {
		t.Fatal("referer statement missing")
	}
	if _, ok := st.Condition["ArnNotLike"]; ok {
		t.Errorf("got an ArnNotLike block with no exemptions configured: %s", mustJSON(t, st.Condition))
	}
	if got := st.Condition["StringEquals"][policy.KeyAuthType]; !slices.Equal(got, []string{"REST-QUERY-STRING"}) {
		t.Errorf("s3:authType = %v, want [REST-QUERY-STRING]", got)
	}
}

func TestEmptyRefererListDropsTheStatement(t *testing.T) {
	if _, ok := policy.BucketPolicy(env(nil, nil), bucketARN).Find(policy.SidDenyForeignReferer); ok {
		t.Error("got a referer statement with no referers configured")
	}
	if _, ok := policy.BucketPolicy(env([]string{"https://a.example.com/*"}, nil), bucketARN).Find(policy.SidDenyForeignReferer); !ok {
		t.Error("control: no referer statement with a referer configured")
	}
}

func TestSignatureAgeStatementDeniesPresignedRequestsOlderThanMaxExpiry(t *testing.T) {
	e := env(nil, nil)
	e.MaxExpiry = 90 * time.Minute
	st, ok := policy.BucketPolicy(e, bucketARN).Find(policy.SidDenyOldSignatures)
	if !ok {
		t.Fatal("signatureAge statement missing")
	}
	got := mustJSON(t, st)
	want := `{"Sid":"DenyPresignedOlderThanMaxExpiry","Effect":"Deny","Principal":"*","Action":["s3:*"],` +
		`"Resource":["arn:aws:s3:::example-bucket","arn:aws:s3:::example-bucket/*"],"Condition":{` +
		`"NumericGreaterThan":{"s3:signatureAge":["5400000"]},"StringEquals":{"s3:authType":["REST-QUERY-STRING"]}}}`
	if got != want {
		t.Errorf("signatureAge statement\n got %s\nwant %s", got, want)
	}
}

func TestTLSOnlyStatement(t *testing.T) {
	st, ok := policy.BucketPolicy(env(nil, nil), bucketARN).Find(policy.SidDenyInsecureTransport)
	if !ok {
		t.Fatal("TLS statement missing")
	}
	want := `{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":["s3:*"],` +
		`"Resource":["arn:aws:s3:::example-bucket","arn:aws:s3:::example-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}`
	if got := mustJSON(t, st); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestSignerStatementIsExactlyFourActionsOnThePrefix(t *testing.T) {
	e := env(nil, nil)
	e.UploadPrefix = "incoming/"
	st := policy.SignerStatement(e, bucketARN)
	want := `{"Sid":"SignerObjectsUnderUploadPrefix","Effect":"Allow","Action":["s3:AbortMultipartUpload","s3:GetObject","s3:ListMultipartUploadParts","s3:PutObject"],` +
		`"Resource":["arn:aws:s3:::example-bucket/incoming/*"]}`
	if got := mustJSON(t, st); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	for _, a := range st.Action {
		if strings.Contains(a, "*") {
			t.Errorf("wildcard action %q", a)
		}
	}
}

func TestCORS(t *testing.T) {
	got := mustJSON(t, policy.CORS(env(nil, nil)))
	want := `{"CORSRules":[{"ID":"BrowserUploadsAndDownloads","AllowedMethods":["PUT","POST","GET"],"AllowedOrigins":["https://app.example.com"],` +
		`"AllowedHeaders":["content-type","if-none-match","x-amz-*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]}`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	noOrigins := env(nil, nil)
	noOrigins.AllowedOrigins = nil
	if got := policy.CORS(noOrigins).CORSRules; len(got) != 0 {
		t.Errorf("no origins: got %d rules, want 0", len(got))
	}
}

func TestDocumentJSONRoundTrips(t *testing.T) {
	doc := policy.BucketPolicy(env([]string{"https://a.example.com/*"}, []string{"arn:aws:iam::*:role/ops"}), bucketARN)
	b, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back policy.Document
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, back); got != string(b) {
		t.Errorf("round trip\n got %s\nwant %s", got, b)
	}
	var p policy.Principal
	if err := json.Unmarshal([]byte(`{"AWS":"AKIDEXAMPLE"}`), &p); err != nil || !slices.Equal(p.AWS, []string{"AKIDEXAMPLE"}) {
		t.Errorf("single AWS principal: got %v, %v", p, err)
	}
	if err := json.Unmarshal([]byte(`"someone"`), &p); err == nil {
		t.Error("a string principal other than * was accepted")
	}
}

func TestForVersityGW(t *testing.T) {
	e := env([]string{"http://127.0.0.1:8081/*"}, []string{"arn:aws:iam::123456789012:role/backup"})
	doc, omitted := policy.ForVersityGW(e, "local-bucket", "SIGNERKEY")

	b, _ := doc.JSON()
	for _, refused := range []string{policy.KeyAuthType, policy.KeySignatureAge, policy.KeySecureTransport, policy.KeyPrincipalArn} {
		if strings.Contains(string(b), refused) {
			t.Errorf("local policy still uses %s: %s", refused, b)
		}
	}

	var sids []string
	for _, st := range doc.Statement {
		sids = append(sids, st.Sid)
	}
	if want := []string{policy.SidDenyForeignReferer, policy.SidAllowLocalSigner, policy.SidAllowLocalPostObject}; !slices.Equal(sids, want) {
		t.Errorf("statements %v, want %v", sids, want)
	}

	ref, _ := doc.Find(policy.SidDenyForeignReferer)
	if want := `{"StringNotLike":{"aws:Referer":["http://127.0.0.1:8081/*"]}}`; mustJSON(t, ref.Condition) != want {
		t.Errorf("local referer condition %s, want %s", mustJSON(t, ref.Condition), want)
	}
	allow, _ := doc.Find(policy.SidAllowLocalSigner)
	if want := `{"Sid":"AllowLocalSigner","Effect":"Allow","Principal":{"AWS":["SIGNERKEY"]},"Action":["s3:AbortMultipartUpload","s3:GetObject","s3:ListMultipartUploadParts","s3:PutObject"],"Resource":["arn:aws:s3:::local-bucket/uploads/*"]}`; mustJSON(t, allow) != want {
		t.Errorf("allow\n got %s\nwant %s", mustJSON(t, allow), want)
	}
	post, _ := doc.Find(policy.SidAllowLocalPostObject)
	if want := `{"Sid":"AllowLocalPostObject","Effect":"Allow","Principal":{"AWS":["SIGNERKEY"]},"Action":["s3:PutObject"],"Resource":["arn:aws:s3:::local-bucket","arn:aws:s3:::local-bucket/uploads/*"]}`; mustJSON(t, post) != want {
		t.Errorf("post allow\n got %s\nwant %s", mustJSON(t, post), want)
	}

	var got []string
	for _, o := range omitted {
		got = append(got, o.Sid+" "+o.What)
		if o.Why == "" {
			t.Errorf("%v: no reason", o)
		}
	}
	want := []string{
		"DenyInsecureTransport statement",
		"DenyPresignedOlderThanMaxExpiry statement",
		"DenyPresignedGetWithoutAllowedReferer condition aws:PrincipalArn",
		"DenyPresignedGetWithoutAllowedReferer condition s3:authType",
	}
	if !slices.Equal(got, want) {
		t.Errorf("omissions\n got %q\nwant %q", got, want)
	}

	// The deployed policy itself is left unchanged by the transform.
	deployed := policy.BucketPolicy(e, policy.BucketARN("local-bucket"))
	if st, _ := deployed.Find(policy.SidDenyForeignReferer); st.Condition["StringEquals"] == nil {
		t.Error("ForVersityGW changed the deployed statement's condition")
	}
}

func TestAdaptDropsAStatementLeftWithoutConditions(t *testing.T) {
	doc := policy.Document{Version: policy.Version, Statement: []policy.Statement{
		{Sid: "OnlyAuthType", Effect: policy.Deny, Principal: policy.Everyone(), Action: []string{"s3:GetObject"}, Resource: []string{bucketARN + "/*"},
			Condition: policy.Condition{"StringEquals": {policy.KeyAuthType: {policy.AuthTypePresigned}}}},
		{Sid: "Plain", Effect: policy.Deny, Principal: policy.Everyone(), Action: []string{"s3:DeleteObject"}, Resource: []string{bucketARN + "/*"}},
	}}
	out, omitted := policy.AdaptForVersityGW(doc)
	if len(out.Statement) != 1 || out.Statement[0].Sid != "Plain" {
		t.Errorf("got %s, want only the statement without conditions kept", mustJSON(t, out))
	}
	if len(omitted) != 1 || omitted[0].Sid != "OnlyAuthType" || omitted[0].What != "statement" {
		t.Errorf("omissions %v, want OnlyAuthType statement", omitted)
	}
}
