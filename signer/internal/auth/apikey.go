package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/s3presign/s3presign/signer/internal/auth/authconfig"
)

// APIKeyPrefix starts every key made by NewAPIKey, so secret scanners and
// people can recognise one.
const APIKeyPrefix = "s3p_"

// apiKeyBytes is the number of random bytes in a key (256 bits).
const apiKeyBytes = 32

// NewAPIKey makes a new API key for the caller name, reading 32 bytes from
// rand (crypto/rand.Reader in production). It returns the key, to be shown
// once and never stored, and its hash line "name:sha256hex" to be added to the
// API-key secret. This backs the `signer apikey new NAME` subcommand.
func NewAPIKey(name string, rand io.Reader) (key, hashLine string, err error) {
	if err := authconfig.ValidName(name); err != nil {
		return "", "", err
	}
	b := make([]byte, apiKeyBytes)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", "", fmt.Errorf("reading random bytes: %w", err)
	}
	key = APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, name + ":" + HashAPIKey(key), nil
}

// HashAPIKey returns the lower-case hex SHA-256 of key, as stored in hash lines.
func HashAPIKey(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

// APIKeys is mode apikey: "Authorization: Bearer <key>", where the SHA-256 of
// the key must equal a stored hash. Only hashes are held. Each request hashes
// the presented key and compares it with every stored hash in constant time,
// so the time taken does not depend on which entry (caller) matches, or on
// whether any does. The X-Api-Key header is deliberately not read: one header
// keeps one place to redact, and it is the header the CORS rules allow.
//
// The set can be replaced while serving (Replace), so a key removed from
// the secret stops working without a restart; a request sees either the
// old set or the new one, never a mix.
type APIKeys struct {
	entries atomic.Pointer[[]keyEntry]
	ch      challenger
}

type keyEntry struct {
	hash   [32]byte
	caller Caller
}

// NewAPIKeys parses hash lines (see authconfig.ParseKeyLines) into an
// authenticator. realm "" means DefaultRealm.
func NewAPIKeys(lines, realm string) (*APIKeys, error) {
	ch, err := newChallenger(realm)
	if err != nil {
		return nil, err
	}
	a := &APIKeys{ch: ch}
	if _, err := a.Replace(lines); err != nil {
		return nil, err
	}
	return a, nil
}

// Replace parses hash lines and, when they are valid, makes them the set
// every later request is checked against; it returns the number of keys.
// Invalid lines leave the current set in place.
func (a *APIKeys) Replace(lines string) (int, error) {
	parsed, err := authconfig.ParseKeyLines(lines)
	if err != nil {
		return 0, err
	}
	entries := make([]keyEntry, len(parsed))
	for i, k := range parsed {
		entries[i] = keyEntry{hash: k.Hash, caller: Caller{Name: k.Name, Limit: k.Limit}}
	}
	a.entries.Store(&entries)
	return len(entries), nil
}

// Authenticate returns the caller whose key the request presents.
func (a *APIKeys) Authenticate(r *http.Request) (Caller, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 && r.Header.Get("X-Api-Key") != "" {
		return Caller{}, a.ch.missing("X-Api-Key is not read: send the key as Authorization: Bearer <key>")
	}
	key, err := parseBearer(values, a.ch)
	if err != nil {
		return Caller{}, err
	}
	// Hashed from a stack buffer: converting key to []byte would allocate
	// on every request (keys made by NewAPIKey are 47 bytes).
	var buf [96]byte
	sum := sha256.Sum256(append(buf[:0], key...))
	entries := *a.entries.Load()
	match := -1
	for i := range entries {
		eq := subtle.ConstantTimeCompare(sum[:], entries[i].hash[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return Caller{}, a.ch.invalid("unknown API key", nil)
	}
	return entries[match].caller, nil
}
