package assign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// AttemptToken is the data-plane token of one job attempt (Task.Token): HMAC-SHA256(secret, job,
// 0, attempt big-endian). The scheduler derives it with the cluster secret and hands it to every
// task of the attempt; workers only compare tokens, so they never need the secret.
func AttemptToken(secret []byte, job string, attempt uint64) []byte {
	m := hmac.New(sha256.New, secret)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], attempt)
	m.Write([]byte(job))
	m.Write([]byte{0})
	m.Write(b[:])
	return m.Sum(nil)
}
