package scheduler

import (
	"context"
	"errors"
	"time"
)

// runJobMaster drives every job's scheduling on the leader: it starts waiting and restarting
// jobs when their delay has passed and the slots are free, and fails those that waited for slots
// longer than SlotTimeout. Failure detection itself happens in the FSM (task failed, worker lost).
func (s *Server) runJobMaster(ctx context.Context) {
	for ctx.Err() == nil {
		changed := s.fsm.Changed()
		next := s.scheduleJobs(time.Now())
		timer := time.NewTimer(next)
		select {
		case <-ctx.Done():
		case <-changed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// scheduleJobs makes one pass and returns how long to sleep at most before the next.
func (s *Server) scheduleJobs(now time.Time) time.Duration {
	next := time.Minute
	nowMs := now.UnixMilli()
	var avoid []string
	quiet := 2 * s.heartbeatInterval()
	ls := s.leader.Load()
	if ls != nil {
		avoid = ls.leases.suspects(quiet, now)
	}
	jobs := s.fsm.Jobs()
	for _, j := range jobs {
		if j.Status != JobScheduling && j.Status != JobRestarting {
			continue
		}
		if j.RestartAt > nowMs {
			next = min(next, time.Duration(j.RestartAt-nowMs)*time.Millisecond)
			continue
		}
		if ls != nil && j.Status == JobRestarting {
			// Place the restart once every worker either renewed after the failure or is a
			// suspect (avoided): heartbeats do not wake this loop, so look again soon.
			if wait := ls.leases.unconfirmed(time.UnixMilli(j.UpdatedAt), quiet, now); wait > 0 {
				next = min(next, wait, 25*time.Millisecond)
				continue
			}
		}
		giveUp := nowMs-j.WaitingSince >= s.cfg.SlotTimeout.Milliseconds()
		_, err := s.apply(CmdScheduleJob, newID("cmd"),
			scheduleJobBody{ID: j.ID, Attempt: j.Attempt + 1, GiveUp: giveUp, Avoid: avoid})
		switch {
		case err == nil:
			s.log.Info("job scheduled", "job", j.ID, "attempt", j.Attempt+1)
		case errors.Is(err, ErrInsufficientSlots):
			// Wait for workers (an FSM change) or the slot timeout.
			next = min(next, time.Duration(j.WaitingSince+s.cfg.SlotTimeout.Milliseconds()-nowMs)*time.Millisecond)
		case isRaftError(err):
			return 50 * time.Millisecond
		default:
			s.log.Debug("schedule job", "job", j.ID, "err", err)
		}
	}
	s.forgetOld(jobs, nowMs)
	return max(next, time.Millisecond)
}

// forgetOld drops the terminal jobs of the pass's jobs, and the lost workers, older than the
// retention (a job that ended during the pass is recent, so the pass's read of jobs suffices).
func (s *Server) forgetOld(jobs []*Job, nowMs int64) {
	cutoff := nowMs - s.cfg.Retention.Milliseconds()
	var b forgetBody
	for _, j := range jobs {
		if j.Status.Terminal() && j.UpdatedAt < cutoff {
			b.Jobs = append(b.Jobs, j.ID)
		}
	}
	for _, w := range s.fsm.Workers() {
		if w.State == WorkerLost && w.LostAt < cutoff {
			b.Workers = append(b.Workers, w.ID)
		}
	}
	if len(b.Jobs)+len(b.Workers) == 0 {
		return
	}
	if _, err := s.apply(CmdForget, newID("cmd"), b); err != nil {
		s.log.Debug("forget old jobs and workers", "err", err)
	}
}
