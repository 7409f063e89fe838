package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/s3presign/s3presign/signer/config"
	"github.com/s3presign/s3presign/signer/internal/metrics"
	"github.com/s3presign/s3presign/signer/internal/scan"
)

// newMetrics returns the metrics registry, or nil when both EMF output and
// the Prometheus listener are off (then the API adds no metrics middleware).
func newMetrics(cfg config.Config) *metrics.Registry {
	if cfg.MetricsNamespace == "" && cfg.MetricsAddr == "" {
		return nil
	}
	return metrics.New(metrics.Options{
		Environment:     cfg.Environment,
		Namespace:       cfg.MetricsNamespace,
		CallerDimension: cfg.MetricsCallerDimension,
	})
}

// newScanCheck returns the download routes' malware scan check when
// configured (it reads object tags with the signer's own client), else nil.
func newScanCheck(cfg config.Config, client scan.TagReader) (*scan.Checker, error) {
	if !cfg.ScanCheck {
		return nil, nil
	}
	return scan.New(client, cfg.Bucket, scan.DefaultTimeout)
}

// metricsRun is the running metrics output: the EMF flush loop and the
// optional Prometheus listener.
type metricsRun struct {
	cancel  context.CancelFunc
	flushed chan struct{} // closed when the flush loop has written its last lines
	srv     *http.Server
	served  chan error
}

// startMetrics starts the flush loop (EMF lines on stdout every interval)
// and the /metrics listener, as configured. reg may be nil (all off).
func startMetrics(cfg config.Config, reg *metrics.Registry, stdout io.Writer, clock func() time.Time, log *slog.Logger) (*metricsRun, error) {
	m := &metricsRun{cancel: func() {}, flushed: make(chan struct{})}
	if reg == nil {
		close(m.flushed)
		return m, nil
	}
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return nil, fmt.Errorf("listen on %s (%s): %w", cfg.MetricsAddr, config.EnvMetricsAddr, err)
		}
		m.srv = &http.Server{
			Handler:           reg.Handler(),
			ReadHeaderTimeout: readHeaderTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		m.served = make(chan error, 1)
		go func() { m.served <- m.srv.Serve(ln) }()
		log.Info("metrics listening", slog.String("addr", ln.Addr().String()), slog.String("path", "/metrics"))
	}
	if cfg.MetricsNamespace == "" {
		close(m.flushed)
		return m, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	ticker := time.NewTicker(cfg.MetricsInterval)
	go func() {
		defer close(m.flushed)
		defer ticker.Stop()
		warned := false
		reg.Run(ctx, ticker.C, stdout, clock, func(err error) {
			if !warned { // once: a broken stdout would otherwise log every period
				warned = true
				log.Warn("cannot write EMF metrics to stdout", slog.String("error", err.Error()))
			}
		})
	}()
	log.Info("metrics on", slog.String("namespace", cfg.MetricsNamespace), slog.String("interval", cfg.MetricsInterval.String()),
		slog.Bool("caller_dimension", cfg.MetricsCallerDimension))
	return m, nil
}

// stop writes the last EMF lines (after the API has drained, so they count
// every request) and closes the /metrics listener.
func (m *metricsRun) stop(ctx context.Context) error {
	m.cancel()
	select {
	case <-m.flushed:
	case <-ctx.Done():
		return errors.New("metrics: last flush did not finish in time")
	}
	if m.srv == nil {
		return nil
	}
	if err := m.srv.Shutdown(ctx); err != nil {
		_ = m.srv.Close()
		return fmt.Errorf("metrics listener: %w", err)
	}
	if err := <-m.served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics listener: %w", err)
	}
	return nil
}
