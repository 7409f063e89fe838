package iamgrammar

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// placeholder stands in for each intrinsic inside a policy held as a JSON
// string (Fn::Join parts), so the string can be parsed. It reads as an ARN
// where an ARN is expected.
const placeholder = "arn:aws:token:::resolved-at-deploy"

func isPlaceholder(s string) bool { return strings.Contains(s, placeholder) }

// documentProperties are the CloudFormation properties that hold a policy
// document, by resource type, with the document's kind. "Policies" lists of
// inline policies are handled apart.
var documentProperties = map[string]map[string]Kind{
	"AWS::IAM::Role":                      {"AssumeRolePolicyDocument": Trust},
	"AWS::IAM::Policy":                    {"PolicyDocument": Permissions},
	"AWS::IAM::ManagedPolicy":             {"PolicyDocument": Permissions},
	"AWS::S3::BucketPolicy":               {"PolicyDocument": Permissions},
	"AWS::KMS::Key":                       {"KeyPolicy": Permissions},
	"AWS::SNS::TopicPolicy":               {"PolicyDocument": Permissions},
	"AWS::SQS::QueuePolicy":               {"PolicyDocument": Permissions},
	"AWS::Logs::ResourcePolicy":           {"PolicyDocument": Permissions},
	"AWS::SecretsManager::ResourcePolicy": {"ResourcePolicy": Permissions},
	"AWS::Events::EventBusPolicy":         {"Statement": Permissions},
}

// inlinePolicyTypes have a Policies list of {PolicyName, PolicyDocument}.
var inlinePolicyTypes = map[string]bool{"AWS::IAM::Role": true, "AWS::IAM::User": true, "AWS::IAM::Group": true}

// CheckTemplate finds every policy document in a CloudFormation template
// (decoded JSON) and checks each; name prefixes the errors. It returns the
// number of documents checked, so a caller can tell "all valid" from "none
// found".
func CheckTemplate(tmpl map[string]any, name string) (int, []error) {
	res, _ := tmpl["Resources"].(map[string]any)
	ids := make([]string, 0, len(res))
	for id := range res {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var errs []error
	n := 0
	for _, id := range ids {
		r, _ := res[id].(map[string]any)
		typ, _ := r["Type"].(string)
		props, _ := r["Properties"].(map[string]any)
		where := name + "/" + id
		for prop, kind := range documentProperties[typ] {
			v, ok := props[prop]
			if !ok {
				continue
			}
			if typ == "AWS::Events::EventBusPolicy" {
				v = map[string]any{"Version": "2012-10-17", "Statement": v}
			}
			n++
			errs = append(errs, checkValue(v, kind, where+"."+prop)...)
		}
		if inlinePolicyTypes[typ] {
			pols, _ := props["Policies"].([]any)
			for i, p := range pols {
				pm, _ := p.(map[string]any)
				n++
				errs = append(errs, checkValue(pm["PolicyDocument"], Permissions, fmt.Sprintf("%s.Policies[%d]", where, i))...)
			}
		}
	}
	return n, errs
}

// checkValue checks a document given as an object, a JSON string, or a
// JSON string built with Fn::Join.
func checkValue(v any, kind Kind, where string) []error {
	text, isText, err := asText(v)
	if err != nil {
		return []error{fmt.Errorf("%s: %v", where, err)}
	}
	if !isText {
		return Check(v, kind, where)
	}
	var doc any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return []error{fmt.Errorf("%s: the policy string is not JSON: %v", where, err)}
	}
	return Check(doc, kind, where)
}

// asText returns the JSON text of a policy held as a string or as an
// Fn::Join of strings and intrinsics (each intrinsic becomes placeholder).
func asText(v any) (string, bool, error) {
	switch t := v.(type) {
	case string:
		return t, true, nil
	case map[string]any:
		join, ok := t["Fn::Join"].([]any)
		if !ok || len(t) != 1 {
			return "", false, nil
		}
		if len(join) != 2 {
			return "", false, fmt.Errorf("malformed Fn::Join %s", show(t))
		}
		sep, _ := join[0].(string)
		parts, _ := join[1].([]any)
		var b strings.Builder
		for i, p := range parts {
			if i > 0 {
				b.WriteString(sep)
			}
			if s, ok := p.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString(placeholder)
			}
		}
		return b.String(), true, nil
	}
	return "", false, nil
}
