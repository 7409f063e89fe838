package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/s3presign/s3presign/infra/devtools/local/localtest"
)

// An upload through the page shows, on the same page, the "upload ready"
// event the application would get: one line for that key, with its size
// and type, and the note that locally ready follows creation.
func TestPageShowsTheReadyNotification(t *testing.T) {
	st := localtest.Stack(t)
	b := localtest.NewBrowser(t)

	r := uploadThroughPage(t, b, st.PageURL, samplePNG)
	if r.State != "done" {
		t.Fatalf("page state %q, error %q, want done", r.State, r.ErrorText)
	}
	sel := `#notifications li[data-key="` + r.Key + `"]`
	localtest.Run(b, chromedp.Poll[bool](`document.querySelector('`+sel+`') !== null`, chromedp.WithPollingTimeout(10*time.Second)))
	got := localtest.Run(b, chromedp.Evaluate[struct {
		Lines int
		Type  string
		Text  string
		Note  string
	}](`(() => {
		const li = document.querySelector('`+sel+`');
		return {
			Lines: document.querySelectorAll('`+sel+`').length,
			Type: li.dataset.type,
			Text: li.textContent,
			Note: document.getElementById('notifications').parentElement.textContent,
		};
	})()`))
	size := len(readFile(t, samplePNG))
	if got.Lines != 1 || got.Type != "upload.ready" || !strings.HasPrefix(got.Text, "The app was notified: upload.ready · "+r.Key+" · ") ||
		!strings.Contains(got.Text, " · image/png · ") || !strings.Contains(got.Text, fmt.Sprintf(" · %d bytes · ", size)) || strings.Contains(got.Text, "http") {
		t.Errorf("notification %+v, want one ready line for %s (%d bytes, image/png) without a URL", got, r.Key, size)
	}
	if !strings.Contains(got.Note, `"ready" follows creation`) {
		t.Errorf("the page does not say that ready follows creation locally: %q", got.Note)
	}
}
