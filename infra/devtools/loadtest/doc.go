// Package loadtest measures the signer under load on this machine: it starts
// the signer binary (static test credentials, 127.0.0.1 only) and a
// fixed-response floor server, drives each with wrk for a fixed time at fixed
// concurrency, and reads the servers' CPU time and memory from /proc.
//
// Bench runs the same load against the floor and against each signer route,
// so the ratio of requests per server CPU-second holds on a noisy machine;
// Soak runs one long mixed load and checks that nothing fails and that RSS
// settles. The CLI in infra/devtools/cmd/loadtest drives both (`make bench`,
// `make soak`); a short Soak runs in `go test ./...`.
//
// Figures:
//   - req/s, latency percentiles and errors come from wrk (its done() hook
//     prints them as JSON; latency is wrk's own histogram, not corrected for
//     coordinated omission);
//   - server CPU is utime+stime from /proc/<pid>/stat over the measured run;
//   - peak RSS is VmHWM from /proc/<pid>/status (the process's lifetime
//     peak; every run starts a fresh process), and RSS samples are VmRSS read
//     every second.
package loadtest
