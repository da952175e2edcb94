// Package endpoint is how connectors reach a user's systems: the connection settings of a
// service integration (Postgres, Kafka) resolved by the worker, and Guard, the SSRF guard every
// connector dials through. The guard refuses link-local and cloud metadata addresses always,
// and loopback unless the server allows it (as `flowplane dev` does).
package endpoint
