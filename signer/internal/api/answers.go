package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// The answers of the busiest routes (v1 upload and download, compat upload
// and access) are appended by hand into a pooled buffer: no reflection and
// no allocation beyond the Content-Length value. Each appendJSON writes
// exactly the bytes encoding/json's Encoder (SetEscapeHTML(false)) writes for
// the same value, trailing newline included; answers_test.go holds them to
// that.

// writeAnswer answers with an appended JSON body. Like writeJSON, it marks
// the answer as never cached.
func writeAnswer(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	if x, ok := w.(*exchange); ok {
		x.lengthHeader[0] = strconv.Itoa(len(body))
		h["Content-Length"] = x.lengthHeader[:]
	} else {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// answerBuf is a pooled buffer an answer is appended into:
//
//	ab := newAnswer()
//	ab.b = resp.appendJSON(ab.b)
//	ab.send(w, http.StatusOK)
type answerBuf struct{ b []byte }

var answerPool = sync.Pool{New: func() any { return &answerBuf{b: make([]byte, 0, 1024)} }}

// newAnswer returns an empty pooled buffer.
func newAnswer() *answerBuf {
	ab := answerPool.Get().(*answerBuf)
	ab.b = ab.b[:0]
	return ab
}

// send writes the buffer as the answer and returns it to the pool.
func (ab *answerBuf) send(w http.ResponseWriter, status int) {
	writeAnswer(w, status, ab.b)
	answerPool.Put(ab)
}

func (a *uploadResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"key":`...)
	b = appendJSONString(b, a.Key)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, a.URL)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, a.Method)
	b = append(b, `,"headers":{"Content-Type":`...)
	b = appendJSONString(b, a.Headers.ContentType)
	b = append(b, `,"Content-Length":`...)
	b = appendJSONString(b, a.Headers.ContentLength)
	if a.Headers.ChecksumSHA256 != "" {
		b = append(b, `,"x-amz-checksum-sha256":`...)
		b = appendJSONString(b, a.Headers.ChecksumSHA256)
	}
	if a.Headers.IfNoneMatch != "" {
		b = append(b, `,"If-None-Match":`...)
		b = appendJSONString(b, a.Headers.IfNoneMatch)
	}
	b = append(b, `},"expiresAt":`...)
	b = appendJSONTime(b, a.ExpiresAt)
	return append(b, "}\n"...)
}

func (a *downloadResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"url":`...)
	b = appendJSONString(b, a.URL)
	b = append(b, `,"expiresAt":`...)
	b = appendJSONTime(b, a.ExpiresAt)
	return append(b, "}\n"...)
}

func (a *compatUploadResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"url":`...)
	b = appendJSONString(b, a.URL)
	if a.Headers != nil {
		b = append(b, `,"headers":{"Content-Type":`...)
		b = appendJSONString(b, a.Headers.ContentType)
		if a.Headers.ContentLength != "" {
			b = append(b, `,"Content-Length":`...)
			b = appendJSONString(b, a.Headers.ContentLength)
		}
		if a.Headers.IfNoneMatch != "" {
			b = append(b, `,"If-None-Match":`...)
			b = appendJSONString(b, a.Headers.IfNoneMatch)
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

func (a *compatAccessResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"url":`...)
	b = appendJSONString(b, a.URL)
	return append(b, "}\n"...)
}

// appendJSONTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, quoted). Answers only hold times in years 0-9999.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json does
// with HTML escaping off: '"' and '\\' escaped, control characters as \b,
// \f, \n, \r, \t or \u00XX, invalid UTF-8 as \ufffd, and U+2028 and U+2029
// escaped (JSONP safety).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
