package scheduler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Restart strategy types (the deployments.restart_strategy jsonb column, openapi RestartStrategy).
const (
	RestartExponential = "exponential-delay"
	RestartFixed       = "fixed-delay"
	RestartFailureRate = "failure-rate"
	RestartNone        = "none"
)

// Defaults of the strategies' options.
const (
	defaultInitialDelayMs   = 1000
	defaultMaxDelayMs       = 60_000
	defaultMultiplier       = 2.0
	exponentialResetMs      = 3_600_000 // failures older than this no longer grow the delay
	defaultFixedAttempts    = 3
	defaultFixedDelayMs     = 1000
	defaultFailuresPerIntvl = 1
	defaultFailureIntervlMs = 60_000
)

// RestartStrategy decides whether and when a failed job restarts.
type RestartStrategy struct {
	Type                   string  `json:"type"`
	Attempts               int     `json:"attempts,omitempty"`
	DelayMillis            *int64  `json:"delay_ms,omitempty"`
	InitialDelayMillis     int64   `json:"initial_delay_ms,omitempty"`
	MaxDelayMillis         int64   `json:"max_delay_ms,omitempty"`
	BackoffMultiplier      float64 `json:"backoff_multiplier,omitempty"`
	MaxFailuresPerInterval int     `json:"max_failures_per_interval,omitempty"`
	FailureIntervalMillis  int64   `json:"failure_interval_ms,omitempty"`
}

// ParseRestartStrategy reads the jsonb column; empty or {} means the default (exponential-delay).
func ParseRestartStrategy(raw []byte) (RestartStrategy, error) {
	var s RestartStrategy
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return RestartStrategy{Type: RestartExponential}, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("%w: restart strategy: %w", ErrInvalidCommand, err)
	}
	if s.Type == "" {
		s.Type = RestartExponential
	}
	switch s.Type {
	case RestartExponential, RestartFixed, RestartFailureRate, RestartNone:
		return s, nil
	}
	return s, fmt.Errorf("%w: unknown restart strategy %q", ErrInvalidCommand, s.Type)
}

func (s RestartStrategy) delay(def int64) int64 {
	if s.DelayMillis != nil {
		return *s.DelayMillis
	}
	return def
}

// decide is called after a failure at now with the failures counted so far (the new one
// included) and returns the failures to keep, the restart delay, or giveUp with the reason.
func (s RestartStrategy) decide(failures []int64, now int64) (keep []int64, delayMs int64, giveUp string) {
	switch s.Type {
	case RestartNone:
		return failures, 0, "the restart strategy is none"
	case RestartFixed:
		attempts := s.Attempts
		if attempts <= 0 {
			attempts = defaultFixedAttempts
		}
		if len(failures) > attempts {
			return failures, 0, fmt.Sprintf("fixed-delay restart strategy gave up after %d restarts", attempts)
		}
		return failures, s.delay(defaultFixedDelayMs), ""
	case RestartFailureRate:
		interval := s.FailureIntervalMillis
		if interval <= 0 {
			interval = defaultFailureIntervlMs
		}
		limit := s.MaxFailuresPerInterval
		if limit <= 0 {
			limit = defaultFailuresPerIntvl
		}
		keep = recent(failures, now-interval)
		if len(keep) > limit {
			return keep, 0, fmt.Sprintf("failure-rate restart strategy gave up: %d failures within %d ms (at most %d allowed)", len(keep), interval, limit)
		}
		return keep, s.delay(defaultFixedDelayMs), ""
	default: // exponential-delay never gives up; quiet periods reset the backoff
		keep = recent(failures, now-exponentialResetMs)
		initial, maxDelay, mult := s.InitialDelayMillis, s.MaxDelayMillis, s.BackoffMultiplier
		if initial <= 0 {
			initial = defaultInitialDelayMs
		}
		if maxDelay <= 0 {
			maxDelay = defaultMaxDelayMs
		}
		if mult < 1 {
			mult = defaultMultiplier
		}
		d := float64(initial) * math.Pow(mult, float64(len(keep)-1))
		return keep, int64(math.Min(d, float64(maxDelay))), ""
	}
}

func recent(ts []int64, since int64) []int64 {
	var out []int64
	for _, t := range ts {
		if t > since {
			out = append(out, t)
		}
	}
	return out
}
