package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

// refRequest is what encoding/json makes of the same body, the reference
// decodeObject is checked against.
type refRequest struct {
	Name *string `json:"name"`
	Size *int64  `json:"size"`
}

// topLevelKeys returns the member names of a JSON object in order, using
// encoding/json's tokenizer (nil when data is not an object).
func topLevelKeys(data []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return keys
}

// FuzzDecodeObject checks the hand-written member walk against
// encoding/json: it never panics; whatever it accepts encoding/json accepts
// strictly too, with the same values; and whatever encoding/json accepts
// strictly, with exact member names and no duplicates, it accepts.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		`{"name":"a.png","size":5}`, `{"name":"a\u0041\"b","size":null}`, `{ "size" : -1 , "name" : "" }`,
		`{"name":"a","name":"b"}`, `{"other":{"x":[1,{"y":"}"}]}}`, `{"name":5}`, `{"size":1.5}`, `{"size":"5"}`,
		`[]`, `"x"`, `{`, `{"name":"a"} x`, "{\"name\":\"\xff\"}", `{"n\u0061me":"x"}`, ` {} `, `{"size":99999999999999999999}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var (
			name string
			size *int64
		)
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		err := decodeObject(r, []field{{"name", &name}, {"size", &size}})

		var ref refRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		refErr := dec.Decode(&ref)
		if refErr == nil && dec.More() {
			refErr = errTrailing
		}
		if refErr == nil {
			if _, err := dec.Token(); err == nil {
				refErr = errTrailing
			}
		}
		if refErr == nil && !json.Valid(body) {
			refErr = errTrailing
		}
		// decodeObject is stricter on purpose: member names match exactly
		// (encoding/json folds case) and a member may appear only once.
		// (and the body must be an object: encoding/json takes null too).
		keys := topLevelKeys(body)
		strictOK := bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) && len(keys) <= 2 && !(len(keys) == 2 && keys[0] == keys[1])
		for _, k := range keys {
			if k != "name" && k != "size" {
				strictOK = false
			}
		}

		if err == nil {
			if refErr != nil {
				t.Fatalf("accepted %q, encoding/json refuses: %v", body, refErr)
			}
			if ref.Name != nil && utf8.ValidString(*ref.Name) && utf8.ValidString(name) && *ref.Name != name {
				t.Fatalf("name = %q, encoding/json says %q", name, *ref.Name)
			}
			if (ref.Size == nil) != (size == nil) || size != nil && *size != *ref.Size {
				t.Fatalf("size = %v, encoding/json says %v", size, ref.Size)
			}
			return
		}
		if refErr == nil && strictOK {
			t.Fatalf("refused %q (%v), encoding/json accepts it", body, err)
		}
	})
}

var errTrailing = &apierr.Error{Code: apierr.Invalid, Message: "trailing data"}

// decodeObject notes the fields seen in one uint64: a list of 64 fields
// decodes, every one of them (the control), and a list of 65 is refused as
// an internal error instead of confusing fields.
func TestDecodeObjectFieldCountGuard(t *testing.T) {
	fieldList := func(n int) ([]field, []string, string) {
		fields := make([]field, n)
		dst := make([]string, n)
		body := "{"
		for i := range fields {
			fields[i] = field{name: fmt.Sprintf("f%d", i), dst: &dst[i]}
			if i > 0 {
				body += ","
			}
			body += fmt.Sprintf(`"f%d":"v%d"`, i, i)
		}
		return fields, dst, body + "}"
	}
	request := func(body string) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}

	fields, dst, body := fieldList(maxFields)
	if err := decodeObject(request(body), fields); err != nil {
		t.Fatalf("%d fields: %v", maxFields, err)
	}
	for i, v := range dst {
		if want := fmt.Sprintf("v%d", i); v != want {
			t.Fatalf("field f%d = %q, want %q", i, v, want)
		}
	}
	// The last field given twice is still seen as a duplicate.
	dup := strings.TrimSuffix(body, "}") + fmt.Sprintf(`,"f%d":"again"}`, maxFields-1)
	if err := decodeObject(request(dup), fields); apierr.CodeOf(err) != apierr.Invalid || !strings.Contains(err.Error(), "more than once") {
		t.Fatalf("field f%d twice: %v, want a duplicate-field refusal", maxFields-1, err)
	}

	fields, _, body = fieldList(maxFields + 1)
	if err := decodeObject(request(body), fields); err == nil || apierr.CodeOf(err) != apierr.Internal {
		t.Fatalf("%d fields: %v, want an internal error", maxFields+1, err)
	}
}
