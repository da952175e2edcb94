package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrForbidden marks an endpoint the policy refuses; the concrete error names the host and why.
var ErrForbidden = errors.New("connector endpoint not allowed")

// Policy says which address classes connectors may reach besides public ones.
type Policy struct {
	AllowLoopback bool // 127.0.0.0/8, ::1, localhost
	AllowPrivate  bool // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7
}

// ParseAllow reads a comma-separated allow list: "", "loopback", "private" or both.
func ParseAllow(s string) (Policy, error) {
	var p Policy
	for _, w := range strings.Split(s, ",") {
		switch strings.TrimSpace(strings.ToLower(w)) {
		case "":
		case "loopback":
			p.AllowLoopback = true
		case "private":
			p.AllowPrivate = true
		default:
			return Policy{}, fmt.Errorf("egress allow list: unknown class %q (want loopback, private)", w)
		}
	}
	return p, nil
}

// String is the allow list ParseAllow reads.
func (p Policy) String() string {
	var out []string
	if p.AllowLoopback {
		out = append(out, "loopback")
	}
	if p.AllowPrivate {
		out = append(out, "private")
	}
	return strings.Join(out, ",")
}

var (
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")
	metadata    = []netip.Addr{netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200")}
	// metadataNames are host names of cloud metadata services.
	metadataNames = []string{"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal", "metadata.azure.internal"}
)

// CheckAddr judges one IP address.
func (p Policy) CheckAddr(a netip.Addr) error {
	a = a.Unmap()
	why := ""
	switch {
	case !a.IsValid():
		why = "not an IP address"
	case a.IsUnspecified() || (a.Is4() && thisNetwork.Contains(a)):
		why = "an unspecified address"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		why = "a link-local address (cloud metadata lives there)"
	case isMetadata(a):
		why = "a cloud metadata address"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		why = "a multicast or broadcast address"
	case a.IsLoopback() && !p.AllowLoopback:
		why = "a loopback address (this server does not allow loopback endpoints)"
	case (a.IsPrivate() || cgnat.Contains(a)) && !p.AllowPrivate:
		why = "a private address (this server does not allow private endpoints)"
	}
	if why != "" {
		return fmt.Errorf("%w: %s is %s", ErrForbidden, a, why)
	}
	return nil
}

func isMetadata(a netip.Addr) bool {
	for _, m := range metadata {
		if a == m {
			return true
		}
	}
	return false
}

// CheckHost judges a configured host name or literal address, without resolving names. A
// bracketed IPv6 literal and a trailing dot are accepted.
func (p Policy) CheckHost(host string) error {
	h := strings.TrimSuffix(strings.Trim(strings.TrimSpace(host), "[]"), ".")
	if h == "" {
		return fmt.Errorf("%w: empty host", ErrForbidden)
	}
	if i := strings.IndexByte(h, '%'); i >= 0 { // IPv6 zone: only meaningful for link-local
		return fmt.Errorf("%w: %s has an interface zone", ErrForbidden, host)
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return p.CheckAddr(a)
	}
	lower := strings.ToLower(h)
	for _, m := range metadataNames {
		if lower == m {
			return fmt.Errorf("%w: %s is a cloud metadata host", ErrForbidden, host)
		}
	}
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return p.CheckAddr(netip.IPv6Loopback())
	}
	return nil
}

// CheckHostPort judges "host:port" (a Kafka bootstrap server); a missing port is allowed.
func (p Policy) CheckHostPort(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return p.CheckHost(host)
}

// Control is a net.Dialer Control hook: it refuses the connection when the resolved address the
// dialer is about to connect to is forbidden.
func (p Policy) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot judge dialled address %q: %w", ErrForbidden, address, err)
	}
	return p.CheckAddr(ap.Addr())
}

// Dialer returns base (or a zero Dialer) with the policy's Control hook installed, chained after
// base's own hook.
func (p Policy) Dialer(base *net.Dialer) *net.Dialer {
	d := &net.Dialer{}
	if base != nil {
		*d = *base
	}
	prev := d.Control
	d.Control = func(network, address string, c syscall.RawConn) error {
		if err := p.Control(network, address, c); err != nil {
			return err
		}
		if prev != nil {
			return prev(network, address, c)
		}
		return nil
	}
	return d
}

// anyClass allows every address class a Policy can allow: what it still refuses, every policy
// refuses.
var anyClass = Policy{AllowLoopback: true, AllowPrivate: true}

// CheckReservedHost refuses, without resolving it, a host no policy allows (link-local,
// metadata, unspecified, multicast or broadcast literals, metadata host names). Inline connector
// options are checked with it when a statement is validated, before the server's policy is
// known; loopback, private addresses and names are judged by the policy and at dial time.
func CheckReservedHost(host string) error { return anyClass.CheckHost(host) }

// DialContext dials address with a zero net.Dialer under the policy (see Dialer).
func (p Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return p.Dialer(nil).DialContext(ctx, network, address)
}
