//go:build pprof

// This file is only in profiling builds (go build -tags pprof), which
// `make profile` makes to find where the signer's CPU time goes under load;
// build.sh, and so every image, leaves it out. With S3PRESIGN_PPROF_ADDR set
// to a loopback host:port, such a build also serves net/http/pprof there, on
// a listener of its own (the API's mux never serves it).

package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

// pprofAddrEnv names the profiling listener's address.
const pprofAddrEnv = "S3PRESIGN_PPROF_ADDR"

func init() {
	addr := os.Getenv(pprofAddrEnv)
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "%s=%q: want a loopback host:port such as 127.0.0.1:6060\n", pprofAddrEnv, addr)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", pprofAddrEnv, err)
		os.Exit(2)
	}
	go func() { _ = http.Serve(ln, nil) }()
}
