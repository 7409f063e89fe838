package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		xff    []string
		hops   int
		want   string
	}{
		{"no proxy: the TCP peer", "198.51.100.7:4242", nil, 0, "198.51.100.7"},
		{"no proxy: X-Forwarded-For ignored", "198.51.100.7:4242", []string{"203.0.113.9"}, 0, "198.51.100.7"},
		{"ALB: the entry it appended", "10.0.0.5:1234", []string{"203.0.113.9"}, 1, "203.0.113.9"},
		{"ALB: a spoofed prefix is ignored", "10.0.0.5:1234", []string{"1.1.1.1, 2.2.2.2, 203.0.113.9"}, 1, "203.0.113.9"},
		{"ALB: no spaces", "10.0.0.5:1234", []string{"1.1.1.1,203.0.113.9"}, 1, "203.0.113.9"},
		{"ALB: several header lines read as one list", "10.0.0.5:1234", []string{"1.1.1.1", "203.0.113.9"}, 1, "203.0.113.9"},
		{"two proxies: second from the right", "10.0.0.5:1234", []string{"6.6.6.6, 203.0.113.9, 10.1.1.1"}, 2, "203.0.113.9"},
		{"two proxies across lines", "10.0.0.5:1234", []string{"6.6.6.6, 203.0.113.9", "10.1.1.1"}, 2, "203.0.113.9"},
		{"entry with a port", "10.0.0.5:1234", []string{"203.0.113.9:5555"}, 1, "203.0.113.9"},
		{"IPv6 entry", "10.0.0.5:1234", []string{"2001:db8::1"}, 1, "2001:db8::1"},
		{"bracketed IPv6 with port", "10.0.0.5:1234", []string{"[2001:db8::1]:443"}, 1, "2001:db8::1"},
		{"IPv4-mapped IPv6 unmapped", "10.0.0.5:1234", []string{"::ffff:203.0.113.9"}, 1, "203.0.113.9"},
		{"no header behind a proxy: the peer", "10.0.0.5:1234", nil, 1, "10.0.0.5"},
		{"fewer entries than hops: the peer", "10.0.0.5:1234", []string{"203.0.113.9"}, 2, "10.0.0.5"},
		{"garbage entry: the peer", "10.0.0.5:1234", []string{"1.1.1.1, not-an-ip"}, 1, "10.0.0.5"},
		{"empty last entry: the peer", "10.0.0.5:1234", []string{"1.1.1.1,"}, 1, "10.0.0.5"},
		{"IPv6 peer", "[2001:db8::2]:9", nil, 0, "2001:db8::2"},
		{"unparsable peer", "pipe", nil, 0, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, tt.hops).String(); got != tt.want {
				t.Errorf("ClientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestIPBucketKey(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"203.0.113.9:1", "ip:203.0.113.9"},
		{"[2001:db8:1:2:aaaa::1]:1", "ip:2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::9]:1", "ip:2001:db8:1:2::/64"}, // same /64, same bucket
		{"[2001:db8:1:3::1]:1", "ip:2001:db8:1:3::/64"},
		{"garbage", "ip:unknown"},
	}
	for _, tt := range tests {
		a, _ := remoteIP(tt.remote)
		if got := ipBucketKey(a).String(); got != tt.want {
			t.Errorf("ipBucketKey(%s) = %q, want %q", tt.remote, got, tt.want)
		}
	}
}
