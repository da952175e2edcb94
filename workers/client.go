package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
)

// Protocol errors.
var (
	// ErrUnknownWorker: a server does not know this worker (declared lost, never registered, or
	// its token is not valid there); the agent stops its tasks and registers again.
	ErrUnknownWorker = errors.New("worker unknown to the scheduler")
	// ErrServer wraps every failed call to a server (transport error or error status).
	ErrServer = errors.New("scheduler call failed")
)

// ProblemError is an error answer from a server: its HTTP status and problem+json body.
type ProblemError struct {
	Status int
	Code   string
	Detail string
}

func (e *ProblemError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Detail)
}

// client speaks the worker protocol to a list of servers, moving on to the next server when
// one fails.
type client struct {
	hc      *http.Client
	servers []string

	mu  sync.Mutex
	cur int
	// inflight cancels the calls under way per server: moving on from a server abandons them
	// (a blocking query to a server that stopped answering would otherwise hang until its
	// deadline, up to the long-poll wait, while the other loop already moved on).
	inflight map[int]map[*context.CancelFunc]struct{}
}

// registerTimeout bounds one registration attempt, so a server that accepts connections but
// never answers does not hold the agent.
const registerTimeout = 10 * time.Second

func newClient(hc *http.Client, servers []string) *client {
	return &client{hc: hc, servers: servers, inflight: map[int]map[*context.CancelFunc]struct{}{}}
}

// server returns the index and base URL of the server to use now.
func (c *client) server() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur, c.servers[c.cur]
}

// failed moves on to the next server after a call to server i failed (unless another caller
// already moved on).
func (c *client) failed(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == i && len(c.servers) > 1 {
		c.cur = (c.cur + 1) % len(c.servers)
		for cancel := range c.inflight[i] {
			(*cancel)()
		}
	}
}

// track registers a call under way to server i; the returned func ends it.
func (c *client) track(ctx context.Context, i int) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight[i] == nil {
		c.inflight[i] = map[*context.CancelFunc]struct{}{}
	}
	c.inflight[i][&cancel] = struct{}{}
	return ctx, func() {
		c.mu.Lock()
		delete(c.inflight[i], &cancel)
		c.mu.Unlock()
		cancel()
	}
}

// call does one JSON request against the current server, moving on to the next one when it
// fails with a transport error or a 5xx, or does not answer before ctx's deadline (a server
// that black-holes requests). Only the caller cancelling ctx is not the server's failure.
func (c *client) call(ctx context.Context, method, path, bearer string, in, out any) error {
	i, base := c.server()
	cctx, done := c.track(ctx, i)
	err := c.do(cctx, method, base+path, bearer, in, out)
	done()
	var pe *ProblemError
	if err != nil && !errors.Is(ctx.Err(), context.Canceled) && (!errors.As(err, &pe) || pe.Status >= 500 || pe.Status == http.StatusTooManyRequests) {
		c.failed(i)
	}
	return err
}

func (c *client) do(ctx context.Context, method, u, bearer string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%w: encode: %w", ErrServer, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrServer, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrServer, method, redact(u), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%w: %s %s: read: %w", ErrServer, method, redact(u), err)
	}
	if resp.StatusCode/100 != 2 {
		pe := &ProblemError{Status: resp.StatusCode}
		var doc struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
			Title  string `json:"title"`
		}
		if json.Unmarshal(raw, &doc) == nil {
			pe.Code, pe.Detail = doc.Code, doc.Detail
			if pe.Detail == "" {
				pe.Detail = doc.Title
			}
		}
		return fmt.Errorf("%w: %s %s: %w", ErrServer, method, redact(u), pe)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%w: %s %s: decode: %w", ErrServer, method, redact(u), err)
		}
	}
	return nil
}

// redact drops the query string (never secret, but long) from logged URLs.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// unknown reports whether err says the worker is not known to the server: 401, 403 or 404 on a
// call made with the worker token.
func unknown(err error) bool {
	var pe *ProblemError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Status == http.StatusUnauthorized || pe.Status == http.StatusForbidden || pe.Status == http.StatusNotFound
}

// register tries every server once, starting with the current one.
func (c *client) register(ctx context.Context, join string, reg assign.Register) (assign.Registered, error) {
	var errs []error
	for range c.servers {
		i, base := c.server()
		var out assign.Registered
		rctx, cancel := context.WithTimeout(ctx, registerTimeout)
		err := c.do(rctx, http.MethodPost, base+assign.PathRegister, join, reg, &out)
		cancel()
		if err == nil && (out.WorkerID == "" || out.Token == "" || out.LeaseMillis <= 0) {
			err = fmt.Errorf("%w: registration answer without worker id, token or lease", ErrServer)
		}
		if err == nil {
			return out, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
		c.failed(i)
	}
	return assign.Registered{}, errors.Join(errs...)
}

// assignments does one blocking query.
func (c *client) assignments(ctx context.Context, w session, index uint64, wait time.Duration) (assign.Set, error) {
	q := url.Values{"index": {strconv.FormatUint(index, 10)}, "wait": {wait.String()}}
	var set assign.Set
	err := c.call(ctx, http.MethodGet, assign.PathAssignments(url.PathEscape(w.id))+"?"+q.Encode(), w.token, nil, &set)
	return set, err
}

// heartbeat sends one heartbeat.
func (c *client) heartbeat(ctx context.Context, w session, hb assign.Heartbeat) (assign.HeartbeatReply, error) {
	var reply assign.HeartbeatReply
	err := c.call(ctx, http.MethodPost, assign.PathHeartbeat(url.PathEscape(w.id)), w.token, hb, &reply)
	return reply, err
}

// session is one registration: the worker id and token the scheduler issued.
type session struct {
	id    string
	token string
	lease time.Duration
	every time.Duration // heartbeat interval
	index uint64        // FSM index of the registration (0 when the server did not say)
}
