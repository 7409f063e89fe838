package auth

import (
	"net/http/httptest"
	"testing"
)

// TestClientIPBehindCloudFrontAndTheLoadBalancer replays the header sequence
// a deployed signer sees: the viewer may send its own X-Forwarded-For,
// CloudFront appends the address it saw, and the internal load balancer
// appends CloudFront's VPC-origin interface (also the TCP peer it forwards
// from). With the two hops infra sets (S3PRESIGN_TRUSTED_PROXY_HOPS=2), the
// signer picks what CloudFront saw, whatever the viewer claimed.
func TestClientIPBehindCloudFrontAndTheLoadBalancer(t *testing.T) {
	const (
		hops      = 2             // infra/signerenv.TrustedProxyHops
		viewer    = "203.0.113.7" // what CloudFront saw
		vpcOrigin = "10.0.0.57"   // CloudFront's interface in the VPC
		lbPeer    = "10.0.1.23:43210"
	)
	tests := []struct {
		name string
		xff  []string // as the signer receives them
	}{
		{"viewer sends none", []string{viewer + ", " + vpcOrigin}},
		{"viewer forges one", []string{"6.6.6.6, " + viewer + ", " + vpcOrigin}},
		{"viewer forges several", []string{"1.1.1.1, 6.6.6.6, " + viewer + ", " + vpcOrigin}},
		{"forged header line apart", []string{"6.6.6.6", viewer + ", " + vpcOrigin}},
		{"IPv6 viewer", []string{"2001:db8::7, " + vpcOrigin}},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/v1/uploads", nil)
		r.RemoteAddr = lbPeer
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		want := viewer
		if tt.name == "IPv6 viewer" {
			want = "2001:db8::7"
		}
		if got := ClientIP(r, hops).String(); got != want {
			t.Errorf("%s: ClientIP = %s, want %s", tt.name, got, want)
		}
		// Control: one hop (the old ALB-only setting) would rate-limit every
		// viewer as CloudFront's interface.
		if got := ClientIP(r, 1).String(); got != vpcOrigin {
			t.Errorf("%s: with 1 hop ClientIP = %s, want %s", tt.name, got, vpcOrigin)
		}
	}
}
