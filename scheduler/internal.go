package scheduler

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Server-to-server paths on the internal listener (cluster token as bearer).
const (
	PathJoin = "/internal/v1/servers/join"
	// forwardedHeader marks a request a follower forwarded to the leader, so it is never
	// forwarded twice.
	forwardedHeader = "X-Flowplane-Forwarded"
)

// Problem codes of the internal API. Clients retry on 503 (no_leader, leader_unreachable,
// not_ready) with backoff; 401 means the token is not (or no longer) valid: register again.
const (
	CodeUnauthorized      = "unauthorized"
	CodeInvalidRequest    = "invalid_request"
	CodeNoLeader          = "no_leader"
	CodeLeaderUnreachable = "leader_unreachable"
	CodeNotReady          = "not_ready"
	CodeStaleReplica      = "stale_replica"
	CodeInternal          = "internal"
	// CodeNotFound: no such route or job, or something the worker may not have (an integration
	// of a job it does not run).
	CodeNotFound = "not_found"
)

// writeProblem answers with an RFC 9457 problem document.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status),
		"status": status, "code": code, "detail": detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// bearer checks the Authorization header against want in constant time.
func bearer(r *http.Request, want string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// pendingPeers are the servers that asked to join before the cluster was bootstrapped.
type pendingPeers struct {
	mu    sync.Mutex
	peers map[string]setMemberBody
}

func (p *pendingPeers) add(m setMemberBody) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.peers == nil {
		p.peers = map[string]setMemberBody{}
	}
	p.peers[m.ID] = m
	return len(p.peers)
}

func (p *pendingPeers) list() []setMemberBody {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []setMemberBody
	for _, m := range p.peers {
		out = append(out, m)
	}
	return out
}

func (p *pendingPeers) drain() []setMemberBody {
	out := p.list()
	p.mu.Lock()
	p.peers = nil
	p.mu.Unlock()
	return out
}

// handleJoin adds a server: the leader makes it a voter; a node waiting for bootstrap-expect
// records it; any other node forwards to the leader.
func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request) {
	if !bearer(r, s.cfg.ClusterToken) {
		writeProblem(w, http.StatusUnauthorized, CodeUnauthorized, "a valid cluster token is required")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	var m setMemberBody
	if err == nil {
		err = json.Unmarshal(body, &m)
	}
	if err != nil || m.ID == "" || splitHostPort(m.RaftAddr) != nil || m.HTTPAddr == "" {
		writeProblem(w, http.StatusBadRequest, CodeInvalidRequest, "join needs id, raft_addr (host:port) and http_addr")
		return
	}
	switch {
	case m.ID == string(s.id) && s.unformed():
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "pending"}) // our own join
	case s.raft.State() == raft.Leader:
		if err := s.addVoter(m); err != nil {
			writeProblem(w, http.StatusServiceUnavailable, CodeNoLeader, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "joined"})
	case s.cfg.BootstrapExpect > 1 && s.unformed():
		if n := s.pending.add(m); n+1 >= s.cfg.BootstrapExpect {
			var peers []raft.Server
			for _, p := range s.pending.list() {
				peers = append(peers, raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.RaftAddr)})
			}
			s.bootstrap(peers)
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "pending"})
	default:
		s.forward(w, r, body)
	}
}

// unformed reports whether this node has no Raft configuration yet.
func (s *Server) unformed() bool {
	f := s.raft.GetConfiguration()
	return f.Error() == nil && len(f.Configuration().Servers) == 0
}

func (s *Server) addVoter(m setMemberBody) error {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	present := false
	for _, srv := range f.Configuration().Servers {
		if srv.ID == raft.ServerID(m.ID) && srv.Address == raft.ServerAddress(m.RaftAddr) {
			present = true
		}
	}
	if !present {
		if err := s.raft.AddVoter(raft.ServerID(m.ID), raft.ServerAddress(m.RaftAddr), 0, applyTimeout).Error(); err != nil {
			return fmt.Errorf("add voter %s: %w", m.ID, err)
		}
	}
	if s.memberKnown(m) {
		return nil
	}
	_, err := s.apply(CmdSetMember, newID("cmd"), m)
	return err
}

// joinLoop asks the configured servers (and, once known, the leader) to add this server until
// the FSM lists it with its current addresses.
func (s *Server) joinLoop() {
	defer s.wg.Done()
	self := setMemberBody{ID: string(s.id), RaftAddr: s.RaftAddr(), HTTPAddr: s.cfg.HTTPAddr}
	body, _ := json.Marshal(self)
	for delay := 50 * time.Millisecond; !s.memberKnown(self); delay = min(2*delay, time.Second) {
		targets := s.cfg.Join
		if url, isSelf, err := s.leaderHTTP(); err == nil && !isSelf {
			targets = append([]string{url}, targets...)
		}
		for _, addr := range targets {
			if s.postJoin(addr, body) {
				break
			}
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.fsm.Changed():
		case <-time.After(delay):
		}
	}
}

func (s *Server) postJoin(addr string, body []byte) bool {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, strings.TrimRight(addr, "/")+PathJoin, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.ClusterToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		s.log.Debug("join: server unreachable", "server", addr, "err", err)
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// leaderHTTP returns the leader's internal HTTP base URL; self is true when this node leads.
func (s *Server) leaderHTTP() (url string, self bool, err error) {
	_, id := s.raft.LeaderWithID()
	if id == "" {
		return "", false, ErrNoLeader
	}
	if id == s.id {
		return s.cfg.HTTPAddr, true, nil
	}
	for _, m := range s.fsm.Members() {
		if m.ID == string(id) && m.HTTPAddr != "" {
			return m.HTTPAddr, false, nil
		}
	}
	return "", false, fmt.Errorf("%w: leader %s has no known address yet", ErrNoLeader, id)
}

// forward relays a write to the leader over HTTP and copies its answer back.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Header.Get(forwardedHeader) != "" {
		writeProblem(w, http.StatusServiceUnavailable, CodeNoLeader, "this server no longer leads; retry")
		return
	}
	base, self, err := s.leaderHTTP()
	if err != nil || self {
		writeProblem(w, http.StatusServiceUnavailable, CodeNoLeader, "no scheduler leader is known yet; retry")
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, strings.TrimRight(base, "/")+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, CodeInternal, err.Error())
		return
	}
	for _, h := range []string{"Authorization", "Content-Type", "Accept"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set(forwardedHeader, string(s.id))
	resp, err := s.client.Do(req)
	if err != nil {
		writeProblem(w, http.StatusServiceUnavailable, CodeLeaderUnreachable, "the scheduler leader is unreachable; retry")
		return
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
