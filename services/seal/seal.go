package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the master key's length in bytes.
const KeySize = 32

const version byte = 1

// Sentinel errors.
var (
	ErrBadKey    = errors.New("master key must be 32 bytes, base64-encoded")
	ErrCorrupt   = errors.New("sealed value is corrupt or was sealed under another key")
	ErrNoKeyFile = errors.New("no master key file")
)

// Sealer seals and opens values under one master key.
type Sealer struct {
	aead cipher.AEAD
}

// New builds a Sealer from a raw 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, ErrBadKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Parse builds a Sealer from the base64 form of FLOWPLANE_MASTER_KEY (standard or URL alphabet).
func Parse(encoded string) (*Sealer, error) {
	encoded = strings.TrimSpace(encoded)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(encoded); err == nil && len(key) == KeySize {
			return New(key)
		}
	}
	return nil, ErrBadKey
}

// GenerateKey returns a new random master key in its base64 form.
func GenerateKey() string {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// Seal encrypts plaintext bound to aad.
func (s *Sealer) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := append([]byte{version}, nonce...)
	return s.aead.Seal(out, nonce, plaintext, aad)
}

// Open decrypts a value made by Seal with the same aad.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != version {
		return nil, ErrCorrupt
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// LoadOrCreateKeyFile reads the base64 master key kept at path, creating the file (mode 0600, its
// directory 0700) with a new key when it does not exist. `flowplane dev` uses it when
// FLOWPLANE_MASTER_KEY is unset and the database outlives the process.
func LoadOrCreateKeyFile(path string) (*Sealer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("master key file: %w", err)
		}
		key := GenerateKey()
		if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("master key file: %w", err)
		}
		return Parse(key)
	}
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	s, err := Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return s, nil
}
