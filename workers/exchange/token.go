package exchange

import (
	"crypto/hmac"

	"github.com/flowplane/flowplane/dataflow/assign"
)

// AttemptToken is the data-plane token of one job attempt (assign.AttemptToken). The scheduler
// computes it with its secret and hands it to every task of the attempt; workers only compare
// tokens, so they never need the secret.
func AttemptToken(secret []byte, job string, attempt uint64) []byte {
	return assign.AttemptToken(secret, job, attempt)
}

func tokensEqual(a, b []byte) bool { return hmac.Equal(a, b) }
