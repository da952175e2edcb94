package scheduler

import (
	"slices"
	"testing"
	"time"
)

// A restart after a failure waits until every worker renewed after it or became a suspect.
func TestUnconfirmedWaitsForRenewalOrSuspicion(t *testing.T) {
	t.Parallel()
	l := newLeases(time.Second, func(string) {})
	t0 := time.Now()
	failure := t0.Add(10 * time.Millisecond)
	l.renewed["alive"] = t0
	l.renewed["dead"] = t0
	const quiet = 100 * time.Millisecond
	if w := l.unconfirmed(failure, quiet, failure); w <= 0 || w > quiet {
		t.Fatalf("unconfirmed right after the failure = %s, want a wait up to %s", w, quiet)
	}
	l.renewed["alive"] = failure.Add(time.Millisecond) // heartbeat after the failure
	at := failure.Add(20 * time.Millisecond)
	if w := l.unconfirmed(failure, quiet, at); w != quiet-at.Sub(t0)+time.Millisecond {
		t.Fatalf("wait for the silent worker = %s", w)
	}
	late := t0.Add(quiet + time.Millisecond)
	if w := l.unconfirmed(failure, quiet, late); w != 0 {
		t.Fatalf("unconfirmed once the silent worker is a suspect = %s, want 0", w)
	}
	if got := l.suspects(quiet, late); !slices.Equal(got, []string{"dead"}) {
		t.Fatalf("suspects = %v, want [dead]", got)
	}
}
