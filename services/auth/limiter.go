package auth

import (
	"sync"
	"time"

	"github.com/flowplane/flowplane/services/problem"
)

// Limiter is a token bucket per API token: Rate requests per second, bursts up to Burst.
type Limiter struct {
	Rate  float64
	Burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a limiter; rate <= 0 disables it.
func NewLimiter(rate, burst float64) *Limiter {
	return &Limiter{Rate: rate, Burst: max(burst, 1), now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes one request from key's bucket, or returns a 429 problem with Retry-After.
func (l *Limiter) Allow(key string) error {
	if l == nil || l.Rate <= 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 100_000 { // forget idle tokens rather than grow without bound
			l.buckets = map[string]*bucket{}
		}
		b = &bucket{tokens: l.Burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.Burst, b.tokens+now.Sub(b.at).Seconds()*l.Rate)
	b.at = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
		return &problem.Error{Code: problem.CodeRateLimited, RetryAfter: wait,
			Detail: "this token exceeded its rate limit; retry after the Retry-After seconds"}
	}
	b.tokens--
	return nil
}
