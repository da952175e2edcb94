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
// It is the only SSRF guard: package endpoint (integration settings, inline endpoint options)
// parses hosts and refuses the always-forbidden ones with CheckReservedHost, and the SQL
// connectors (dataflow/sql/exec) dial through a Policy dialer, egress.Policy{} unless the worker
// passes its own.
//
// Two checks:
//
//   - Policy.CheckHost checks a configured host without resolving it (the control plane must not
//     resolve tenant names): literal addresses and the reserved names are judged; other names pass.
//
//   - Policy.Control is a net.Dialer Control hook that judges the address actually dialled after
//     DNS resolution, so a name that resolves (or re-resolves) to a forbidden address is refused at
//     dial time. Policy.Dialer returns a dialer with it installed; connectors dial through it:
//
//     d := policy.Dialer(&net.Dialer{Timeout: 10 * time.Second})
//     pgxCfg.ConnConfig.DialFunc = d.DialContext            // postgres (pgx)
//     kgo.NewClient(kgo.SeedBrokers(servers...), kgo.Dialer(d.DialContext)) // kafka (franz-go)
//
// The policy comes from the process's --egress-allow flag (FLOWPLANE_EGRESS_ALLOW), parsed with
// ParseAllow; servers check integrations with it, workers dial with it.
package egress
