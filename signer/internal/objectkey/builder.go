package objectkey

import (
	"fmt"
	"io"

	"github.com/s3presign/s3presign/signer/keyscope"
)

// Builder builds keys under one prefix. It is safe for concurrent use when
// its random source is (crypto/rand.Reader is).
type Builder struct {
	prefix string
	rand   io.Reader
}

// NewBuilder returns a Builder for the prefix (see CheckPrefix) that draws
// ids from rand; pass crypto/rand.Reader in production and a fixed reader in
// tests.
func NewBuilder(prefix string, rand io.Reader) (*Builder, error) {
	if err := CheckPrefix(prefix); err != nil {
		return nil, err
	}
	if rand == nil {
		return nil, fmt.Errorf("objectkey: nil random source")
	}
	return &Builder{prefix: prefix, rand: rand}, nil
}

// Scope returns the prefix the caller's keys live under: the configured
// prefix, followed by "caller/" when caller is not empty.
// The rule is keyscope.Scope, whose inverse keyscope.Caller reads the
// caller back out of an upload event's key.
func (b *Builder) Scope(caller string) (string, error) {
	return keyscope.Scope(b.prefix, caller)
}

// Upload builds a v1 upload key: scope + random id + "/" + name. The name must
// pass CheckName; the caller may be empty.
func (b *Builder) Upload(caller, name string) (string, error) {
	if err := CheckName("fileName", name); err != nil {
		return "", err
	}
	if caller != "" {
		if err := CheckCaller(caller); err != nil {
			return "", err
		}
	}
	id, err := newID(b.rand)
	if err != nil {
		return "", err
	}
	// One concatenation, one allocation: the key is scope + id + "/" + name.
	if caller == "" {
		return b.checkLen(b.prefix + string(id[:]) + "/" + name)
	}
	return b.checkLen(b.prefix + caller + "/" + string(id[:]) + "/" + name)
}

// Compat builds the compat routes' key: scope + fileName + "." + extension,
// exactly as the client gave them (the whole name must pass CheckName).
func (b *Builder) Compat(caller, fileName, extension string) (string, error) {
	if err := CheckName("fileName", fileName); err != nil {
		return "", err
	}
	if extension == "" {
		return "", invalid("extension is required")
	}
	name := fileName + "." + extension
	if err := CheckName("fileName.extension", name); err != nil {
		return "", err
	}
	scope, err := b.Scope(caller)
	if err != nil {
		return "", err
	}
	return b.checkLen(scope + name)
}

func (b *Builder) checkLen(key string) (string, error) {
	if len(key) > MaxKeyBytes {
		return "", invalid("key would be %d bytes long; the limit is %d", len(key), MaxKeyBytes)
	}
	return key, nil
}
