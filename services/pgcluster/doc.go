// Package pgcluster starts and stops a throwaway PostgreSQL cluster from the binaries installed on
// this machine, for `flowplane dev` and for tests when no server is configured.
//
// The cluster lives in a temporary directory, listens only on a unix socket inside it (so it never
// competes for a TCP port), runs as the `postgres` user when the caller is root (initdb refuses
// root), and is torn down with its directory on Stop. It trades durability for speed (fsync off):
// it is never meant to hold data worth keeping.
package pgcluster
