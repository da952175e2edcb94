// Package egress is the SSRF guard for connector endpoints: the hosts a tenant's postgres or kafka
// integration (or a connector option) names are checked before they are stored and again when a
// connector dials them.
//
// Always refused: unspecified addresses (0.0.0.0, ::), "this network" 0.0.0.0/8, link-local
// addresses (169.254.0.0/16, fe80::/10, which hold the cloud metadata endpoints), the other known
// metadata addresses (fd00:ec2::254, 100.100.100.200) and their names (metadata.google.internal,
// …), multicast and broadcast. Loopback (127.0.0.0/8, ::1, "localhost") and private ranges
// (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) are refused unless the Policy allows them:
// `flowplane dev` allows loopback, a server allows them with --egress-allow.
//
// Two checks:
//
//   - Policy.CheckHost checks a configured host without resolving it (the control plane must not
//     resolve tenant names): literal addresses and the reserved names are judged; other names pass.
//   - Policy.Control is a net.Dialer Control hook that judges the address actually dialled after
//     DNS resolution, so a name that resolves (or re-resolves) to a forbidden address is refused at
//     dial time. Policy.Dialer returns a dialer with it installed; connectors dial through it.
package egress
