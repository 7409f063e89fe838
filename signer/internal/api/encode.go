package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/s3presign/s3presign/signer/internal/apierr"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeJSON answers with v as JSON. Responses are never cached: they hold
// URLs that are capabilities.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own response types are encoded; this cannot happen.
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
)

// field is one member of a JSON object a request may carry.
type field struct {
	name string
	dst  any // *string, **int64 or *json.RawMessage
}

// maxFields is the most fields decodeObject takes: it notes the fields
// seen in the bits of one uint64.
const maxFields = 64

// decodeObject reads the request body as one JSON object whose members are
// among fields, decoding each into its destination. It is strict: the
// request must say Content-Type application/json, the body must be a single
// valid JSON object with nothing after it, and an unknown member, a member
// given twice or a value of the wrong type is a problem. Every such problem is
// reported. A null value leaves the destination as it is.
//
// The body is checked with json.Valid and then walked member by member; a
// string without escapes is taken as it is (invalid UTF-8 then reaches the
// validators, which refuse it), anything else goes through json.Unmarshal.
func decodeObject(r *http.Request, fields []field) error {
	if len(fields) > maxFields {
		// A handler's own field list: our fault, not the client's.
		return fmt.Errorf("decodeObject: %d fields, at most %d", len(fields), maxFields)
	}
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return bodyError(err)
	}
	data := buf.Bytes()
	if !json.Valid(data) {
		var v any
		return bodyError(json.Unmarshal(data, &v))
	}
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return &apierr.Error{Code: apierr.Invalid, Message: "body must be a JSON object"}
	}
	i++
	var (
		probs problems
		seen  uint64 // bit n: fields[n] was present
	)
	for {
		i = skipSpace(data, i)
		switch data[i] {
		case '}':
			return probs.err()
		case ',':
			i = skipSpace(data, i+1)
		}
		end := skipValue(data, i)
		rawName := data[i:end]
		i = skipSpace(data, end) + 1 // past ':'
		i = skipSpace(data, i)
		end = skipValue(data, i)
		value := data[i:end]
		i = end

		n := indexOf(fields, rawName)
		switch {
		case n < 0:
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("unknown field %q", clip(decodeName(rawName)))})
			continue
		case seen&(1<<n) != 0:
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("field %q appears more than once", fields[n].name)})
		}
		seen |= 1 << n
		if err := decodeValue(value, fields[n].dst); err != nil {
			probs.add(&apierr.Error{Code: apierr.Invalid, Message: fields[n].name + ": " + err.Error()})
		}
	}
}

// decodeName returns a member name (a valid JSON string token).
func decodeName(tok []byte) string {
	if bytes.IndexByte(tok, '\\') < 0 {
		return string(tok[1 : len(tok)-1])
	}
	var s string
	_ = json.Unmarshal(tok, &s) // valid JSON: cannot fail
	return s
}

// decodeValue decodes one valid JSON value into dst.
func decodeValue(v []byte, dst any) error {
	if string(v) == "null" {
		return nil
	}
	switch p := dst.(type) {
	case *string:
		if v[0] != '"' {
			return errors.New("must be a string")
		}
		if bytes.IndexByte(v, '\\') < 0 {
			*p = string(v[1 : len(v)-1])
			return nil
		}
		return json.Unmarshal(v, p)
	case **int64:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return errors.New("must be an integer")
		}
		*p = &n
		return nil
	case *json.RawMessage:
		// Arrays and objects: the handler decodes them into their own types.
		*p = append((*p)[:0], v...)
		return nil
	}
	return fmt.Errorf("unsupported destination %T", dst)
}

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the index just past the JSON value that starts at i.
// data must be valid JSON (json.Valid), so only strings and nesting matter.
func skipValue(data []byte, i int) int {
	depth := 0
	for i < len(data) {
		switch c := data[i]; c {
		case '"':
			i++
			for data[i] != '"' {
				if data[i] == '\\' {
					i++
				}
				i++
			}
			i++
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of the enclosing object: a scalar ends here
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return i
}

// indexOf finds the field a member name token (quotes included) names. A
// name with escapes is decoded first.
func indexOf(fields []field, tok []byte) int {
	raw := tok[1 : len(tok)-1]
	if bytes.IndexByte(raw, '\\') >= 0 {
		name := decodeName(tok)
		for i := range fields {
			if fields[i].name == name {
				return i
			}
		}
		return -1
	}
	for i := range fields {
		if fields[i].name == string(raw) { // no allocation: a comparison
			return i
		}
	}
	return -1
}

// bodyError turns a read or syntax error into an API error.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &apierr.Error{Code: apierr.TooLarge, Message: fmt.Sprintf("body is larger than %d bytes", mbe.Limit)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &apierr.Error{Code: apierr.Invalid, Message: "body is empty or ends early; want a JSON object"}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if se.Offset == 0 || strings.HasPrefix(se.Error(), "unexpected end") {
			return &apierr.Error{Code: apierr.Invalid, Message: "body is empty or ends early; want a JSON object"}
		}
		return &apierr.Error{Code: apierr.Invalid, Message: fmt.Sprintf("body is not valid JSON (at byte %d): %v", se.Offset, se)}
	}
	return &apierr.Error{Code: apierr.Invalid, Message: "body could not be read"}
}

// checkJSONContentType accepts application/json, optionally with
// charset=utf-8.
func checkJSONContentType(ct string) error {
	if ct == "application/json" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		cs, ok := params["charset"]
		if len(params) == 0 || len(params) == 1 && ok && (cs == "utf-8" || cs == "UTF-8") {
			return nil
		}
	}
	return &apierr.Error{Code: apierr.MediaType, Message: "request Content-Type must be application/json"}
}

// clip shortens client input quoted in messages.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
