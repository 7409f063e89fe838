package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const imageURI = `"Image":{"Fn::Sub":"${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}:`

func TestNormalizeHidesOnlyContentHashes(t *testing.T) {
	a := imageURI + strings.Repeat("ab", 32) + `"}`
	b := imageURI + strings.Repeat("cd", 32) + `"}`
	if string(Normalize([]byte(a))) != string(Normalize([]byte(b))) {
		t.Errorf("two image hashes normalise differently:\n%s\n%s", Normalize([]byte(a)), Normalize([]byte(b)))
	}
	if !strings.Contains(string(Normalize([]byte(a))), ":"+Placeholder+`"`) {
		t.Errorf("no placeholder in %s", Normalize([]byte(a)))
	}
	// The control: anything else still differs, including 63 or 65 hex
	// digits and upper-case hex.
	for _, other := range []string{strings.Repeat("a", 63), strings.Repeat("a", 65), strings.Repeat("AB", 32)} {
		if got := string(Normalize([]byte(imageURI + other + `"}`))); strings.Contains(got, Placeholder) {
			t.Errorf("%q was normalised: %s", other, got)
		}
	}
}

func TestNormalizeAssembly(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
	hash := strings.Repeat("0f", 32)
	files := map[string]string{
		"manifest.json":                 `{"version":"x"}`,
		"s-service.template.json":       imageURI + hash + `"}`,
		"s-service.assets.json":         `{"dockerImages":{"` + hash + `":{}}}`,
		"asset." + hash + "/Dockerfile": "FROM scratch",
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := NormalizeAssembly(src, dst); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read("s-service.template.json"); got != imageURI+Placeholder+`"}` {
		t.Errorf("template: %s", got)
	}
	if got := read("s-service.assets.json"); got != files["s-service.assets.json"] {
		t.Errorf("asset manifest changed: %s", got)
	}
	if _, err := os.Stat(filepath.Join(dst, "asset."+hash)); !os.IsNotExist(err) {
		t.Errorf("staged asset copied: %v", err)
	}
}
