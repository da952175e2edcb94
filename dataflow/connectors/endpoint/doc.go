// Package endpoint is where connectors find a user's systems: the connection settings of a
// service integration (Postgres, Kafka) as the worker resolves them (Resolver), and the inline
// endpoint options of a table ('url', 'properties.bootstrap.servers'). It is not a guard: the
// parsers refuse hosts no server may reach (egress.CheckReservedHost), and connectors dial
// through an egress.Policy dialer, which judges every resolved address.
package endpoint
