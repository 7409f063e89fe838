package stack

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// localCreds are the keys of a data directory: the root user's, kept so the
// bucket keeps its owner across runs. The signer user's secret is new on
// every start (its IAM store is rebuilt each time).
type localCreds struct {
	RootAccessKey string `json:"rootAccessKey"`
	RootSecret    string `json:"rootSecret"`
}

// credsFile is where a data directory keeps its root keys (mode 0600).
const credsFile = "credentials.json"

// loadOrCreateCreds reads dir/credentials.json, or writes new random keys
// there when it does not exist.
func loadOrCreateCreds(dir string) (localCreds, error) {
	path := filepath.Join(dir, credsFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var c localCreds
		if err := json.Unmarshal(b, &c); err != nil || c.RootAccessKey == "" || c.RootSecret == "" {
			return localCreds{}, fmt.Errorf("%s is damaged (%v): delete the data directory to start afresh", path, err)
		}
		return c, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return localCreds{}, err
	}
	c := localCreds{RootAccessKey: "LOCALROOT" + randomKey(8), RootSecret: randomKey(32)}
	b, err = json.MarshalIndent(c, "", "  ")
	if err != nil {
		return localCreds{}, err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return localCreds{}, err
	}
	return c, nil
}

// randomKey returns n random characters A-Z and 2-7 (base32), safe in
// access keys and secrets.
func randomKey(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
