package api

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/s3presign/s3presign/signer/internal/auth"
)

// MsgRequest is the message of a request's line when it issued no URL; a
// line that issued one says auth.AuditMessage ("url issued"), so audit
// queries that filter on it keep working.
const MsgRequest = "request"

// Outcomes of a request, in every request line's "outcome" field.
const (
	OutcomeIssued  = "issued"  // a URL or POST form was handed out
	OutcomeOK      = "ok"      // answered 1xx-3xx without issuing anything
	OutcomeRefused = "refused" // answered 4xx
	OutcomeError   = "error"   // answered 5xx
)

// RequestLog writes the one structured line each request gets: the access
// log and the audit log in one JSON object, written with one Write call, so
// that each request costs one write system call and never two. It is
// appended by hand into a pooled buffer: no reflection and no slog record on
// the hot path. Lines are not buffered across requests, so a crash or
// SIGTERM loses none (see the README's logging section).
//
// Lines look like slog's JSON handler's (time, level, msg, then the static
// attributes given to NewRequestLog), so both kinds of line read alike in the
// log group. A line that issued a URL is written whatever the level: audit
// lines are never filtered out.
type RequestLog struct {
	w      io.Writer
	level  slog.Leveler
	static []byte // ,"name":value for each static attribute
}

// NewRequestLog returns a RequestLog writing to w (which must take each line
// whole, as an *os.File or a writer behind a mutex does) at level and above.
// attrs are added to every line after msg, as slog.Logger.With would.
func NewRequestLog(w io.Writer, level slog.Leveler, attrs ...slog.Attr) *RequestLog {
	if level == nil {
		level = slog.LevelInfo
	}
	l := &RequestLog{w: w, level: level}
	for _, a := range attrs {
		l.static = append(l.static, ',')
		l.static = appendJSONString(l.static, a.Key)
		l.static = append(l.static, ':')
		switch a.Value.Kind() {
		case slog.KindBool, slog.KindInt64, slog.KindUint64, slog.KindFloat64:
			l.static = append(l.static, a.Value.String()...)
		default:
			l.static = appendJSONString(l.static, a.Value.String())
		}
	}
	return l
}

// issue is what one issued URL adds to its request's line (see Deps.audit).
type issue struct {
	op        string
	key       string
	sizeLimit int64
	expiresAt time.Time
}

// requestLine is what the line of one request is written from.
type requestLine struct {
	x        *exchange
	r        *http.Request
	end      time.Time
	duration time.Duration
	bucket   string // the bucket the URLs are for
	hops     int    // trusted proxy hops, to find the client IP
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// write writes the line of one finished request, when its level is enabled
// or it issued a URL.
func (l *RequestLog) write(q *requestLine) {
	level := lineLevel(q.x)
	if !q.x.issued && level < l.level.Level() {
		return
	}
	bp := linePool.Get().(*[]byte)
	b := l.appendLine((*bp)[:0], level, q)
	_, _ = l.w.Write(b)
	*bp = b
	linePool.Put(bp)
}

// lineLevel is a request's log level: error for 5xx answers, debug for
// passing health checks, info otherwise.
func lineLevel(x *exchange) slog.Level {
	switch {
	case x.status >= 500:
		return slog.LevelError
	case x.status < 300 && (x.pattern == routeHealthz || x.pattern == routeReadyz):
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// appendLine appends one request's line. It never holds the path's query,
// a header, the request or response body, so no URL, signature or token
// reaches the log; the key passes auth.SafeKey.
func (l *RequestLog) appendLine(b []byte, level slog.Level, q *requestLine) []byte {
	x := q.x
	b = append(b, `{"time":"`...)
	b = q.end.AppendFormat(b, time.RFC3339Nano) // as slog's JSON handler writes it
	b = append(b, `","level":"`...)
	b = append(b, level.String()...)
	b = append(b, `","msg":"`...)
	if x.issued {
		b = append(b, auth.AuditMessage...)
	} else {
		b = append(b, MsgRequest...)
	}
	b = append(b, '"')
	b = append(b, l.static...)
	b = appendField(b, "id", x.id)
	b = appendField(b, "method", q.r.Method)
	b = appendField(b, "route", x.pattern)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(x.status), 10)
	b = appendField(b, "code", x.code)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(q.duration.Microseconds())/1000, 'g', -1, 64)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, x.bytes, 10)
	b = append(b, `,"client_ip":"`...)
	if ip := auth.ClientIP(q.r, q.hops); ip.IsValid() {
		b = ip.AppendTo(b)
	}
	b = append(b, '"')
	b = appendField(b, "outcome", outcome(x))
	b = appendField(b, "caller", x.caller)
	if x.issued {
		b = append(b, `,"audit":true,"anonymous":`...)
		b = strconv.AppendBool(b, x.caller == "")
		b = appendField(b, "op", x.issue.op)
		b = appendField(b, "bucket", q.bucket)
		b = appendField(b, "key", auth.SafeKey(x.issue.key))
		b = append(b, `,"size_limit":`...)
		b = strconv.AppendInt(b, x.issue.sizeLimit, 10)
		b = append(b, `,"expires_at":"`...)
		b = x.issue.expiresAt.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, '"')
		b = appendField(b, "request_id", x.id)
	}
	return append(b, "}\n"...)
}

// appendField appends ,"name":"value"; name is a plain ASCII literal.
func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

// outcome names how a request ended (see the Outcome constants).
func outcome(x *exchange) string {
	switch {
	case x.issued:
		return OutcomeIssued
	case x.status >= 500:
		return OutcomeError
	case x.status >= 400:
		return OutcomeRefused
	}
	return OutcomeOK
}
