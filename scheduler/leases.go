package scheduler

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// leases are the resource manager's worker leases: in-memory timers on the leader. Renewals never
// touch Raft; only an expiry (worker lost) is committed.
type leases struct {
	mu      sync.Mutex
	d       time.Duration
	timers  map[string]*time.Timer
	renewed map[string]time.Time // last grant or renewal per worker
	expired func(id string)
	stopped bool
}

func newLeases(d time.Duration, expired func(id string)) *leases {
	return &leases{d: d, timers: map[string]*time.Timer{}, renewed: map[string]time.Time{}, expired: expired}
}

// grace is the extra time the leader waits past a lease before declaring the worker lost, so a
// worker that could not renew has fenced itself (stopped its tasks) before they are reassigned.
func (l *leases) grace() time.Duration { return min(l.d/10, time.Second) }

// grant starts or renews a worker's lease.
func (l *leases) grant(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return
	}
	l.renewed[id] = time.Now()
	if t, ok := l.timers[id]; ok {
		t.Reset(l.d + l.grace())
		return
	}
	l.timers[id] = time.AfterFunc(l.d+l.grace(), func() {
		l.mu.Lock()
		stopped := l.stopped
		delete(l.timers, id)
		delete(l.renewed, id)
		l.mu.Unlock()
		if !stopped {
			l.expired(id)
		}
	})
}

// suspects lists the workers that have not renewed for longer than quiet at now: probably gone,
// though their lease has not run out yet. Restarts avoid them when other slots are free.
func (l *leases) suspects(quiet time.Duration, now time.Time) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for id, at := range l.renewed {
		if now.Sub(at) > quiet {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// unconfirmed returns how long after now some worker that has not renewed since `since` (a
// failure) is still not a suspect (quiet at most `quiet`); 0 when every worker either renewed
// after since or is a suspect. A task failure caused by a crashed peer arrives before the peer
// has missed a heartbeat: a restart placed at once would put tasks on the dead worker again.
func (l *leases) unconfirmed(since time.Time, quiet time.Duration, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, at := range l.renewed {
		if at.Before(since) && now.Sub(at) <= quiet {
			wait = max(wait, quiet-now.Sub(at)+time.Millisecond)
		}
	}
	return wait
}

// drop forgets a lease without expiring it.
func (l *leases) drop(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.renewed, id)
	if t, ok := l.timers[id]; ok {
		t.Stop()
		delete(l.timers, id)
	}
}

func (l *leases) stopAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	for id, t := range l.timers {
		t.Stop()
		delete(l.timers, id)
	}
}

// isRaftError reports errors after which a command's outcome is unknown or it was not proposed:
// the caller may retry with the same command id.
func isRaftError(err error) bool {
	return errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) ||
		errors.Is(err, raft.ErrEnqueueTimeout) || errors.Is(err, raft.ErrLeadershipTransferInProgress) ||
		errors.Is(err, raft.ErrRaftShutdown)
}
