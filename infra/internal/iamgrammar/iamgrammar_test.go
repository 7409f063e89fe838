package iamgrammar_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/s3presign/s3presign/infra/internal/iamgrammar"
)

func parse(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

// valid is a control: every shape the grammar accepts, at once.
const valid = `{"Version":"2012-10-17","Statement":[
 {"Sid":"A1","Effect":"Allow","Principal":{"Service":["events.amazonaws.com"]},"Action":["logs:PutLogEvents","s3:Get*","kms:GenerateDataKey?"],
  "Resource":[{"Fn::GetAtt":["X","Arn"]},"arn:aws:s3:::b/*"],
  "Condition":{"ArnEquals":{"aws:SourceArn":{"Fn::GetAtt":["R","Arn"]}},"NumericGreaterThan":{"s3:signatureAge":3600000},
   "Bool":{"aws:SecureTransport":false},"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*","b"]},"Null":{"s3:ExistingObjectTag/GuardDutyMalwareScanStatus":"true"}}},
 {"Effect":"Deny","Principal":"*","NotAction":"s3:*","NotResource":"*"}]}`

func TestValidDocumentPasses(t *testing.T) {
	if errs := iamgrammar.Check(parse(t, valid), iamgrammar.Permissions, "doc"); len(errs) != 0 {
		t.Fatalf("valid document refused: %v", errs)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/x"},"Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}`
	if errs := iamgrammar.Check(parse(t, trust), iamgrammar.Trust, "trust"); len(errs) != 0 {
		t.Fatalf("valid trust policy refused: %v", errs)
	}
}

func TestInvalidShapesAreRefused(t *testing.T) {
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	const ok = `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`
	tests := []struct{ doc, want string }{
		{stmt(`{"Effect":"Permit","Action":"s3:GetObject","Resource":"*"}`), "Effect must be Allow or Deny"},
		{stmt(`{"Effect":"Allow","Resource":"*"}`), "needs Action or NotAction"},
		{stmt(`{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}`), "has both Action and NotAction"},
		{stmt(`{"Effect":"Allow","Action":"GetObject","Resource":"*"}`), `Action "GetObject" must be service:Action`},
		{stmt(`{"Effect":"Allow","Action":"s3:Get/Object","Resource":"*"}`), "must be service:Action"},
		{stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Action must not be an empty list"},
		{stmt(`{"Effect":"Allow","Action":"s3:GetObject"}`), "needs Resource or NotResource"},
		{stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket/*"}`), `must be "*" or an ARN`},
		{stmt(`{` + ok + `,"Principal":"everyone"}`), `Principal must be "*" or an object`},
		{stmt(`{` + ok + `,"Principal":{"User":"x"}}`), `unknown principal type "User"`},
		{stmt(`{` + ok + `,"Condition":{"StringEqualz":{"aws:x":"y"}}}`), `operator "StringEqualz" is not one of IAM's`},
		{stmt(`{` + ok + `,"Condition":{"ForSomeValues:StringEquals":{"aws:x":"y"}}}`), "is not one of IAM's"},
		{stmt(`{` + ok + `,"Condition":{"StringEquals":{"SourceArn":"y"}}}`), `key "SourceArn" must be prefix:name`},
		{stmt(`{` + ok + `,"Condition":{"StringEquals":{"aws:x":{"a":"b"}}}}`), "must be a string, number, boolean"},
		{stmt(`{` + ok + `,"Condition":{"StringEquals":{"aws:x":[["a"]]}}}`), "must be a string, number or boolean"},
		{stmt(`{` + ok + `,"Condition":{"StringEquals":{}}}`), "non-empty object of condition keys"},
		{stmt(`{` + ok + `,"Extra":1}`), `unknown element "Extra"`},
		{stmt(`{` + ok + `,"Sid":"has space"}`), "Sid must be letters and digits"},
		{`{"Version":"2012-10-18","Statement":[{` + ok + `}]}`, "must be 2012-10-17"},
		{`{"Statement":"x"}`, "must be an object or a list of objects"},
	}
	for _, tt := range tests {
		errs := iamgrammar.Check(parse(t, tt.doc), iamgrammar.Permissions, "doc")
		if !anyContains(errs, tt.want) {
			t.Errorf("%s: errors %v, want one containing %q", tt.doc, errs, tt.want)
		}
	}
	trustWithResource := stmt(`{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}`)
	if errs := iamgrammar.Check(parse(t, trustWithResource), iamgrammar.Trust, "trust"); !anyContains(errs, "a trust policy has no Resource") {
		t.Errorf("trust policy with a Resource: %v", errs)
	}
}

// TestJsiiMapInLogsPolicyIsRefused is the regression case: the Logs resource
// policy exactly as the golden templates held it before the fix, a JSON
// string built with Fn::Join whose condition carried {"$jsii.map": ...}.
func TestJsiiMapInLogsPolicyIsRefused(t *testing.T) {
	raw, err := os.ReadFile("testdata/jsii-map-logs-policy.template.json")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	n, errs := iamgrammar.CheckTemplate(tmpl, "old-dev-service")
	if n != 1 {
		t.Fatalf("found %d documents, want the one Logs resource policy", n)
	}
	if !anyContains(errs, `key "$jsii.map" must be prefix:name`) {
		t.Fatalf("errors %v, want the $jsii.map key refused", errs)
	}
	// Control: the same template with the condition written as IAM wants
	// it passes.
	fixed := strings.Replace(string(raw), `{\"$jsii.map\":{\"aws:SourceArn\":\"`, `{\"aws:SourceArn\":\"`, 1)
	fixed = strings.Replace(fixed, `\"}}},\"Effect`, `\"}},\"Effect`, 1)
	if fixed == string(raw) {
		t.Fatal("the control's rewrite did not apply")
	}
	if err := json.Unmarshal([]byte(fixed), &tmpl); err != nil {
		t.Fatal(err)
	}
	if n, errs := iamgrammar.CheckTemplate(tmpl, "fixed"); n != 1 || len(errs) != 0 {
		t.Fatalf("fixed policy: %d documents, errors %v", n, errs)
	}
}

func anyContains(errs []error, s string) bool {
	for _, e := range errs {
		if strings.Contains(e.Error(), s) {
			return true
		}
	}
	return false
}
