package exchange

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/runtime"
)

// ErrNodeClosed is returned by a Node that was closed.
var ErrNodeClosed = errors.New("exchange node closed")

// errDuplicate: the peer kept a connection it dialed itself; use that one.
var errDuplicate = errors.New("peer already has a connection")

// Config configures a Node.
type Config struct {
	// ListenAddr is the TCP address to listen on, e.g. ":7100" or "127.0.0.1:0".
	ListenAddr string
	// AdvertiseAddr is the address peers dial and Placement uses; default the listener's address.
	AdvertiseAddr string
	// Credits is the number of batch buffers a consumer grants each channel
	// (runtime.DefaultCredits when zero).
	Credits int
	// MaxFrame bounds a frame's size (DefaultMaxFrame when zero).
	MaxFrame int
	// Allocator allocates decoded batches (memory.DefaultAllocator when nil).
	Allocator memory.Allocator
	// Logger gets connection events (slog.Default() when nil).
	Logger *slog.Logger
	// DialTimeout bounds connecting and the handshake (5s when zero).
	DialTimeout time.Duration
}

// Node is a worker's exchange endpoint: it listens on the data address, keeps one connection
// per peer worker, and implements runtime.Exchange for the worker's tasks.
type Node struct {
	cfg      Config
	ln       net.Listener
	addr     string
	instance uint64
	log      *slog.Logger
	local    *runtime.MemExchange

	mu       sync.Mutex
	conns    map[string]*conn
	dialing  map[string]chan struct{}
	changed  chan struct{} // closed and replaced when conns changes
	readers  map[runtime.ChannelID]*remoteReader
	pending  map[runtime.ChannelID]pendingOpen
	latest   map[string]uint64 // newest attempt per job this node has tasks of
	closed   bool
	wg       sync.WaitGroup
	rxBuffer atomic.Int64 // received data bytes not yet decoded
	txQueue  atomic.Int64 // data bytes queued and not yet written to a socket
}

type pendingOpen struct {
	c     *conn
	token []byte
}

// Listen starts a node.
func Listen(cfg Config) (*Node, error) {
	if cfg.Credits < 1 {
		cfg.Credits = runtime.DefaultCredits
	}
	if cfg.MaxFrame == 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("exchange listen: %w", err)
	}
	var inst [8]byte
	_, _ = rand.Read(inst[:])
	n := &Node{
		cfg: cfg, ln: ln, addr: cfg.AdvertiseAddr, instance: binary.BigEndian.Uint64(inst[:]),
		local: runtime.NewMemExchange(cfg.Credits), conns: make(map[string]*conn),
		dialing: make(map[string]chan struct{}), changed: make(chan struct{}),
		readers: make(map[runtime.ChannelID]*remoteReader), pending: make(map[runtime.ChannelID]pendingOpen),
		latest: make(map[string]uint64),
	}
	if n.addr == "" {
		n.addr = ln.Addr().String()
	}
	n.log = cfg.Logger.With("worker", n.addr)
	n.wg.Add(1)
	go n.acceptLoop()
	return n, nil
}

// Addr is the node's data address, as peers and task placements name it.
func (n *Node) Addr() string { return n.addr }

// Stats is a point-in-time view of a node's buffers.
type Stats struct {
	Conns         int   // open peer connections
	RxBufferBytes int64 // received batch bytes waiting to be consumed
	TxQueueBytes  int64 // batch bytes queued for sending
	LocalInFlight int64 // in-memory batches written and not consumed
}

// Stats returns the node's buffer occupancy.
func (n *Node) Stats() Stats {
	n.mu.Lock()
	conns := len(n.conns)
	n.mu.Unlock()
	return Stats{Conns: conns, RxBufferBytes: n.rxBuffer.Load(), TxQueueBytes: n.txQueue.Load(), LocalInFlight: n.local.InFlight()}
}

// Close stops listening and breaks every connection: their channels fail with ErrPeerLost.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	conns := make([]*conn, 0, len(n.conns))
	for _, c := range n.conns {
		conns = append(conns, c)
	}
	n.mu.Unlock()
	err := n.ln.Close()
	for _, c := range conns {
		c.fail(ErrNodeClosed)
	}
	n.wg.Wait()
	return err
}

func (n *Node) acceptLoop() {
	defer n.wg.Done()
	for {
		nc, err := n.ln.Accept()
		if err != nil {
			n.mu.Lock()
			closed := n.closed
			n.mu.Unlock()
			if closed {
				return
			}
			n.log.Warn("exchange accept failed", "err", err)
			time.Sleep(10 * time.Millisecond) // back off on e.g. EMFILE
			continue
		}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := n.handshakeIn(nc); err != nil {
				n.log.Debug("exchange handshake refused", "remote", nc.RemoteAddr().String(), "err", err)
				_ = nc.Close()
			}
		}()
	}
}

func appendHello(dst []byte, instance uint64, addr string) []byte {
	payload := binary.BigEndian.AppendUint64(nil, instance)
	payload = append(payload, addr...)
	out, _ := AppendFrame(dst, Frame{Type: FrameHello, Payload: payload})
	return out
}

func (n *Node) handshakeIn(nc net.Conn) error {
	_ = nc.SetDeadline(time.Now().Add(n.cfg.DialTimeout))
	f, _, err := ReadFrame(nc, nil, 4096)
	if err != nil {
		return err
	}
	if f.Type != FrameHello || len(f.Payload) < 9 {
		return fmt.Errorf("%w: want hello, got %s", ErrBadFrame, f.Type)
	}
	instance, peer := binary.BigEndian.Uint64(f.Payload), string(f.Payload[8:])
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return ErrNodeClosed
	}
	accept := true
	var replaced *conn
	if old := n.conns[peer]; old != nil {
		// The peer redials a connection it lost (or it restarted): replace ours. A dial racing
		// with our own established one (same instance, we dialed) is a duplicate.
		if old.instance != instance || old.dialedByPeer {
			replaced = old
		} else {
			accept = false
		}
	} else if n.dialing[peer] != nil {
		accept = peer < n.addr // both dialing: the smaller address's dial wins
	}
	var c *conn
	if accept {
		c = newConn(n, nc, peer, instance, true)
		n.setConnLocked(peer, c)
	}
	n.mu.Unlock()
	ack := byte(0)
	if accept {
		ack = 1
	}
	buf, _ := AppendFrame(nil, Frame{Type: FrameHelloAck, Payload: binary.BigEndian.AppendUint64([]byte{ack}, n.instance)})
	if _, err := nc.Write(buf); err != nil {
		if c != nil {
			c.fail(err)
		}
		return err
	}
	if !accept {
		return errDuplicate
	}
	_ = nc.SetDeadline(time.Time{})
	if replaced != nil {
		replaced.fail(errors.New("replaced by a new connection from the peer"))
	}
	c.start()
	return nil
}

// setConnLocked registers c as the connection to peer; n.mu is held.
func (n *Node) setConnLocked(peer string, c *conn) {
	n.conns[peer] = c
	close(n.changed)
	n.changed = make(chan struct{})
}

func (n *Node) removeConn(c *conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns[c.peer] == c {
		delete(n.conns, c.peer)
		close(n.changed)
		n.changed = make(chan struct{})
	}
	for id, po := range n.pending {
		if po.c == c {
			delete(n.pending, id)
		}
	}
}

// getConn returns the connection to peer, dialing it if there is none.
func (n *Node) getConn(ctx context.Context, peer string) (*conn, error) {
	deadline := time.Now().Add(n.cfg.DialTimeout)
	for {
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			return nil, ErrNodeClosed
		}
		if c := n.conns[peer]; c != nil {
			n.mu.Unlock()
			return c, nil
		}
		if wait := n.dialing[peer]; wait != nil {
			n.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		wait := make(chan struct{})
		n.dialing[peer] = wait
		n.mu.Unlock()

		c, err := n.dial(ctx, peer)
		n.mu.Lock()
		delete(n.dialing, peer)
		changed := n.changed
		if c != nil {
			n.setConnLocked(peer, c)
		}
		n.mu.Unlock()
		close(wait)
		if c != nil {
			c.start()
			return c, nil
		}
		if !errors.Is(err, errDuplicate) || time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: dial %s: %w", runtime.ErrPeerLost, peer, err)
		}
		// The peer keeps the connection it dialed (or is about to); wait for it to show up.
		select {
		case <-changed:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (n *Node) dial(ctx context.Context, peer string) (*conn, error) {
	d := net.Dialer{Timeout: n.cfg.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", peer)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(n.cfg.DialTimeout))
	if _, err := nc.Write(appendHello(nil, n.instance, n.addr)); err != nil {
		_ = nc.Close()
		return nil, err
	}
	f, _, err := ReadFrame(nc, nil, 4096)
	if err == nil && f.Type != FrameHelloAck {
		err = fmt.Errorf("%w: want hello-ack, got %s", ErrBadFrame, f.Type)
	}
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	if f.Payload[0] != 1 {
		_ = nc.Close()
		return nil, errDuplicate
	}
	_ = nc.SetDeadline(time.Time{})
	return newConn(n, nc, peer, binary.BigEndian.Uint64(f.Payload[1:]), false), nil
}
