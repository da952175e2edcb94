package scheduler

import (
	"context"
	"errors"
	"sync"
	"time"
)

// leaderState is what exists only while this node leads.
type leaderState struct {
	leases      *leases
	metrics     *metricsStore
	checkpoints *checkpointer // nil without Config.Checkpoints
}

// leadershipLoop follows Raft's NotifyCh: it switches the leader subsystems on when this node
// becomes leader and off at once when it stops leading.
func (s *Server) leadershipLoop() {
	defer s.wg.Done()
	var stop func()
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	for {
		select {
		case <-s.ctx.Done():
			return
		case isLeader := <-s.notify:
			if stop != nil {
				stop()
				stop = nil
			}
			if !isLeader {
				s.log.Info("lost scheduler leadership")
				continue
			}
			stop = s.startLead()
		}
	}
}

// startLead runs lead in the background and returns the function that stops it and waits.
func (s *Server) startLead() func() {
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.lead(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// lead runs the leader subsystems until ctx ends. They are rebuilt from the FSM alone, after a
// Barrier guarantees the FSM holds every committed entry. If they cannot start, the node steps
// down so another server can lead.
func (s *Server) lead(ctx context.Context) {
	start := time.Now()
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, 2*time.Second) {
		err := s.startLeading()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Error("cannot start the leader subsystems; stepping down", "err", err)
		if terr := s.raft.LeadershipTransfer().Error(); terr == nil {
			return // NotifyCh reports the loss and cancels ctx
		} else {
			s.log.Warn("leadership transfer failed; retrying the start", "err", terr)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
	ls := &leaderState{metrics: newMetricsStore()}
	if s.cfg.Checkpoints != nil {
		ls.checkpoints = newCheckpointer(s)
	}
	ls.leases = newLeases(s.cfg.Lease, func(id string) { s.workerExpired(ctx, id) })
	for _, w := range s.fsm.Workers() {
		if w.State == WorkerActive {
			ls.leases.grant(w.ID) // a new leader grants every worker a fresh lease
		}
	}
	s.leader.Store(ls)
	s.log.Info("leading the scheduler cluster", "startup", time.Since(start))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.runJobMaster(ctx) }()
	if s.cfg.Pool != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.runDispatcher(ctx) }()
	}
	if ls.checkpoints != nil {
		wg.Add(1)
		go func() { defer wg.Done(); ls.checkpoints.run(ctx) }()
	}
	<-ctx.Done()
	s.leader.Store(nil)
	ls.leases.stopAll()
	wg.Wait()
}

// startLeading waits for the FSM to catch up and records what a fresh cluster lacks.
func (s *Server) startLeading() error {
	if s.failStarts.Add(-1) >= 0 {
		return errors.New("leader start failure injected by a test")
	}
	if err := s.raft.Barrier(applyTimeout).Error(); err != nil {
		return err
	}
	if s.fsm.Secret() == nil {
		if _, err := s.apply(CmdInitCluster, "init-cluster", initClusterBody{Secret: randomSecret()}); err != nil {
			return err
		}
	}
	self := setMemberBody{ID: string(s.id), RaftAddr: s.RaftAddr(), HTTPAddr: s.cfg.HTTPAddr}
	peers := append([]setMemberBody{self}, s.pending.drain()...)
	for _, p := range peers {
		if s.memberKnown(p) {
			continue
		}
		if _, err := s.apply(CmdSetMember, newID("cmd"), p); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) memberKnown(p setMemberBody) bool {
	for _, m := range s.fsm.Members() {
		if m.ID == p.ID {
			return m.RaftAddr == p.RaftAddr && m.HTTPAddr == p.HTTPAddr
		}
	}
	return false
}

// workerExpired runs when a lease ran out: the worker is declared lost through Raft, which
// fails (and restarts) every job placed on it.
func (s *Server) workerExpired(ctx context.Context, id string) {
	for ctx.Err() == nil {
		_, err := s.apply(CmdWorkerLost, "lost-"+id, workerLostBody{ID: id,
			Reason: "no heartbeat for " + s.cfg.Lease.String()})
		if err == nil || !isRaftError(err) {
			s.log.Warn("worker lost", "worker", id, "err", err)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
