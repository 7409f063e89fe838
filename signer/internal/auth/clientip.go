package auth

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address of the client that sent r.
//
// With trustedHops == 0 it is the TCP peer (r.RemoteAddr) and X-Forwarded-For
// is ignored. With N trusted proxies in front of the signer (1 behind an ALB),
// each appending the address it saw to X-Forwarded-For, the client is the Nth
// entry from the right: entries to its left were sent by the client and are
// ignored, so a spoofed prefix cannot change the result. Several header lines
// are read as one list, in order. If that entry is missing or not an IP
// address, the TCP peer is used, so a malformed header can only put the
// request in the proxy's (shared) bucket. The zero Addr means neither could
// be read.
func ClientIP(r *http.Request, trustedHops int) netip.Addr {
	if trustedHops > 0 {
		if a, ok := forwardedFor(r.Header.Values("X-Forwarded-For"), trustedHops); ok {
			return a
		}
	}
	a, _ := remoteIP(r.RemoteAddr)
	return a
}

// forwardedFor returns the hops-th X-Forwarded-For entry from the right,
// scanning from the end without splitting the whole header.
func forwardedFor(values []string, hops int) (netip.Addr, bool) {
	if hops < 1 {
		return netip.Addr{}, false
	}
	seen := 0
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for {
			j := strings.LastIndexByte(v, ',')
			entry := v[j+1:]
			seen++
			if seen == hops {
				return parseForwardedAddr(entry)
			}
			if j < 0 {
				break
			}
			v = v[:j]
		}
	}
	return netip.Addr{}, false
}

// parseForwardedAddr parses one X-Forwarded-For entry: an IP address, or an
// address with a port ("1.2.3.4:5", "[::1]:5"). IPv4-mapped IPv6 addresses
// are unmapped; zones are dropped.
func parseForwardedAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// remoteIP parses http.Request.RemoteAddr ("ip:port").
func remoteIP(remoteAddr string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// bucketKey names a rate-limit bucket: a caller's, or a client address's.
// It is a comparable struct rather than a string so that finding a bucket
// builds no string per request.
type bucketKey struct {
	caller string       // a caller's bucket; "" for an address's
	ip     netip.Prefix // an address's bucket (invalid: address unknown)
}

// String names the bucket as "caller:<name>", "ip:<address>",
// "ip:<v6 /64>" or "ip:unknown".
func (k bucketKey) String() string {
	switch {
	case k.caller != "":
		return "caller:" + k.caller
	case !k.ip.IsValid():
		return "ip:unknown"
	case k.ip.Addr().Is4():
		return "ip:" + k.ip.Addr().String()
	}
	return "ip:" + k.ip.String()
}

// ipBucketKey names the rate-limit bucket of a client address: the address
// for IPv4, its /64 for IPv6 (one subscriber usually holds a whole /64 and
// could otherwise take a fresh bucket per address).
func ipBucketKey(a netip.Addr) bucketKey {
	switch {
	case !a.IsValid():
		return bucketKey{}
	case a.Is4():
		return bucketKey{ip: netip.PrefixFrom(a, 32)}
	default:
		p, _ := a.Prefix(64)
		return bucketKey{ip: p}
	}
}
