package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/s3presign/s3presign/signer/podmantest"
)

// Image figure goals: the image the CDK pushes is pulled by every new task,
// and a task takes traffic only once ready.
const (
	// ImageGoalBytes is the largest image size wanted (15 MB).
	ImageGoalBytes = 15_000_000
	// ImageReadyGoal is the longest start-to-ready time wanted.
	ImageReadyGoal = 100 * time.Millisecond
)

// ImageFigures are the signer image's figures: what `make image` built, as
// podman's store reports it, and how fast a container of it gets ready when
// run as ECS runs it (read-only, no capabilities, non-root).
type ImageFigures struct {
	Tag      string `json:"tag"`
	ID       string `json:"id"`
	Bytes    int64  `json:"bytes"`
	Platform string `json:"platform"`
	// StartToReady is from the container's start (podman's StartedAt, when
	// the runtime has started the signer process) to the first /readyz 200.
	StartToReady StartupResult `json:"start_to_ready"`
	// RunToReady is from running `podman run` to the first /readyz 200: it
	// adds podman's and the runtime's own work (creating the container).
	RunToReady StartupResult `json:"run_to_ready"`
}

// MeasureImage reads tag's ID, size and platform from podman and starts it
// n times, one at a time, each until /readyz answers 200.
func MeasureImage(ctx context.Context, tag string, n int) (ImageFigures, error) {
	out, err := podmantest.Output(ctx, "image", "inspect", "--format", "{{.Id}} {{.Size}} {{.Os}}/{{.Architecture}}", tag)
	if err != nil {
		return ImageFigures{}, err
	}
	f := ImageFigures{Tag: tag}
	var size string
	if _, err := fmt.Sscan(out, &f.ID, &size, &f.Platform); err != nil {
		return ImageFigures{}, fmt.Errorf("podman image inspect %s: %q: %w", tag, out, err)
	}
	if f.Bytes, err = strconv.ParseInt(size, 10, 64); err != nil {
		return ImageFigures{}, err
	}
	var started, run []float64
	for i := range n {
		s, r, err := startContainer(ctx, tag, i)
		if err != nil {
			return f, err
		}
		started, run = append(started, ms(s)), append(run, ms(r))
	}
	f.StartToReady, f.RunToReady = startupOf(started), startupOf(run)
	return f, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func startupOf(ms []float64) StartupResult {
	r := StartupResult{Starts: len(ms), MedianMS: median(ms), PollMS: float64(readyPoll) / float64(time.Millisecond)}
	if len(ms) > 0 {
		r.MinMS, r.MaxMS = ms[0], ms[0]
		for _, v := range ms {
			r.MinMS, r.MaxMS = min(r.MinMS, v), max(r.MaxMS, v)
		}
	}
	return r
}

// startContainer runs one container of tag on a free loopback port with a
// minimal valid environment, waits for /readyz 200, reads its start time
// and removes it. It returns start-to-ready and run-to-ready.
func startContainer(ctx context.Context, tag string, i int) (startToReady, runToReady time.Duration, err error) {
	port, err := freePort()
	if err != nil {
		return 0, 0, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	name := fmt.Sprintf("s3presign-image-figures-%d-%d", os.Getpid(), i)
	args := append([]string{"run", "--detach", "--name", name}, podmantest.RunFlags...)
	for _, kv := range []string{
		"S3PRESIGN_LISTEN_ADDR=" + addr, "S3PRESIGN_BUCKET=image-figures", "S3PRESIGN_REGION=us-east-1",
		"S3PRESIGN_AUTH_MODE=none", "S3PRESIGN_LOG_LEVEL=warn",
		// Static credentials that sign nothing here: readiness needs some.
		"AWS_ACCESS_KEY_ID=AKIDIMAGEFIGURES", "AWS_SECRET_ACCESS_KEY=image-figures-not-a-secret",
	} {
		args = append(args, "--env", kv)
	}
	args = append(args, tag)
	defer func() {
		if _, rmErr := podmantest.Output(context.WithoutCancel(ctx), "rm", "--force", "--time", "0", name); err == nil {
			err = rmErr
		}
	}()
	begin := time.Now()
	if _, err := podmantest.Output(ctx, args...); err != nil {
		return 0, 0, err
	}
	ready, err := pollReady(ctx, "http://"+addr+"/readyz", 30*time.Second)
	if err != nil {
		return 0, 0, fmt.Errorf("container %s: %w", name, err)
	}
	out, err := podmantest.Output(ctx, "inspect", "--format", "{{.State.StartedAt.UnixNano}}", name)
	if err != nil {
		return 0, 0, err
	}
	nanos, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("container %s start time %q: %w", name, out, err)
	}
	return ready.Sub(time.Unix(0, nanos)), ready.Sub(begin), nil
}

// pollReady polls url every readyPoll until it answers 200, and returns when.
func pollReady(ctx context.Context, url string, limit time.Duration) (time.Time, error) {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return time.Time{}, err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s not 200 within %v", url, limit)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(readyPoll):
		}
	}
}

// Markdown is the figures as a short paragraph with the goals.
func (f ImageFigures) Markdown() string {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	return fmt.Sprintf("Image %s (%s, %s): %.1f MB (goal ≤ %.0f MB: %s). Container start to first `/readyz` 200, %d starts read-only without capabilities, polled every %.0f ms: median %.1f ms, min %.1f, max %.1f (goal ≤ %d ms: %s); from `podman run` (container creation included): median %.1f ms.\n",
		f.Tag, strings.TrimPrefix(f.ID, "sha256:")[:min(12, len(strings.TrimPrefix(f.ID, "sha256:")))], f.Platform,
		float64(f.Bytes)/1e6, float64(ImageGoalBytes)/1e6, verdict(f.Bytes <= ImageGoalBytes),
		f.StartToReady.Starts, f.StartToReady.PollMS, f.StartToReady.MedianMS, f.StartToReady.MinMS, f.StartToReady.MaxMS,
		ImageReadyGoal.Milliseconds(), verdict(f.StartToReady.MedianMS <= ms(ImageReadyGoal)), f.RunToReady.MedianMS)
}
