package stack

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/s3presign/s3presign/infra/config"
)

// PageOrigin returns the origin the upload page is served on: the first of
// env's allowed origins that is http://127.0.0.1:PORT. The local stack binds
// 127.0.0.1 only, so an environment without such an origin cannot run
// locally.
func PageOrigin(env config.Environment) (*url.URL, error) {
	for _, o := range env.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" {
			continue
		}
		return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
	}
	return nil, fmt.Errorf("environment %q allows no http://127.0.0.1:PORT origin (allowedOrigins %v): the local page has nowhere to be served", env.Name, env.AllowedOrigins)
}

// Rebase moves env's page settings from the configured page port to the
// port the page really listens on, for runs on another port (tests use a
// free one). The rule: every allowed origin and every referer pattern that
// starts with http://127.0.0.1:FROM or http://localhost:FROM, followed by
// nothing, "/" or "*", gets port TO instead. Every other entry is kept as it
// is. With FROM == TO, env is returned unchanged.
//
// So with the dev settings and the page on port 43117,
// "http://127.0.0.1:8081" becomes "http://127.0.0.1:43117" and the referer
// pattern "http://127.0.0.1:8081/*" becomes "http://127.0.0.1:43117/*".
func Rebase(env config.Environment, from, to int) config.Environment {
	if from == to {
		return env
	}
	env.AllowedOrigins = rebaseAll(env.AllowedOrigins, from, to)
	env.AllowedReferers = rebaseAll(env.AllowedReferers, from, to)
	return env
}

func rebaseAll(list []string, from, to int) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = rebaseOne(s, from, to)
	}
	return out
}

func rebaseOne(s string, from, to int) string {
	for _, host := range []string{"127.0.0.1", "localhost"} {
		prefix := "http://" + net.JoinHostPort(host, strconv.Itoa(from))
		rest, ok := strings.CutPrefix(s, prefix)
		if ok && (rest == "" || rest[0] == '/' || rest[0] == '*') {
			return "http://" + net.JoinHostPort(host, strconv.Itoa(to)) + rest
		}
	}
	return s
}

// portOf returns the port of a host:port address.
func portOf(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(p)
}
