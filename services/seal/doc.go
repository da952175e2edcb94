// Package seal encrypts secrets at rest with AES-256-GCM under Flowplane's master key
// (FLOWPLANE_MASTER_KEY: 32 bytes, base64). It seals integration secrets and the private halves of
// the JWT signing keys. Sealed values carry a version byte and a random nonce; the caller passes
// associated data (e.g. the row's id) so a sealed value cannot be moved to another row.
package seal
