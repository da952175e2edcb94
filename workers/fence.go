package workers

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// fenceMargin is how long before the lease would end (counted from the send time of the last
// successful heartbeat) the agent stops its tasks: a tenth of the lease, at most one second.
// The scheduler counts the lease from when it received that heartbeat, which is later still.
func fenceMargin(lease time.Duration) time.Duration { return min(lease/10, time.Second) }

// fence calls expire once the lease has not been renewed in time. renew moves the deadline
// forward; a deadline never moves back.
type fence struct {
	expire func()

	mu       sync.Mutex
	deadline time.Time
	timer    *time.Timer
	stopped  bool
}

func newFence(expire func()) *fence { return &fence{expire: expire} }

// renew records a heartbeat sent at sentAt that the scheduler accepted with the given lease.
func (f *fence) renew(sentAt time.Time, lease time.Duration) {
	dl := sentAt.Add(lease - fenceMargin(lease))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped || !dl.After(f.deadline) {
		return
	}
	f.deadline = dl
	if f.timer == nil {
		f.timer = time.AfterFunc(time.Until(dl), f.fire)
	} else {
		f.timer.Reset(time.Until(dl))
	}
}

func (f *fence) fire() {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return
	}
	if wait := time.Until(f.deadline); wait > 0 {
		// Renewed while this call was on its way.
		f.timer.Reset(wait)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	f.expire()
}

func (f *fence) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	if f.timer != nil {
		f.timer.Stop()
	}
}

// backoff is a jittered exponential backoff: each wait lasts a random time in [d/2, d], with d
// doubling from min to max.
type backoff struct {
	min, max, cur time.Duration
}

func newBackoff(lo, hi time.Duration) *backoff { return &backoff{min: lo, max: hi, cur: lo} }

func (b *backoff) reset() { b.cur = b.min }

// wait sleeps for the next backoff; false when ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	d := jitter(b.cur)
	b.cur = min(b.cur*2, b.max)
	return sleepCtx(ctx, d)
}

// jitter returns a random duration in [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}
