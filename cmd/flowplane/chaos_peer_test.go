package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/services/database"
	"github.com/flowplane/flowplane/services/pgcluster"
	"github.com/flowplane/flowplane/services/store"
)

// jobProcs are the worker processes running tasks of the job (none while it restarts).
func (c *chaosCluster) jobProcs() []*chaosWorker {
	l := c.leader()
	if l == nil {
		return nil
	}
	var out []*chaosWorker
	for _, id := range c.job().Workers() {
		if w, ok := l.s.FSM().Worker(id); ok && c.procs[w.Name] != nil {
			out = append(out, c.procs[w.Name])
		}
	}
	return out
}

// cutPeers cuts (or heals) the data plane between the two workers running the job: every
// connection to either one's data address passes its proxy, so the pair's connection is cut
// whichever of them dialed it. Both keep reaching every server.
func cutPeers(ws []*chaosWorker, cut bool) {
	for _, w := range ws {
		w.data.setCut(cut)
	}
}

// terminateBackends ends every other connection to the test database, as a PostgreSQL
// restart does, and returns how many it ended.
func (c *chaosCluster) terminateBackends() int {
	var n int
	err := c.pool.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()) t`).Scan(&n)
	if err != nil {
		return 0 // this connection was ended by another test's terminate: try again later
	}
	return n
}

// privatePostgres starts a crash-safe throwaway PostgreSQL server for one test (nil when this
// machine has no PostgreSQL binaries: the test then falls back to the shared server) and
// returns it with a migrated pool and its connection string.
func privatePostgres(t *testing.T) (*pgcluster.Cluster, *pgxpool.Pool, string) {
	t.Helper()
	if _, err := pgcluster.FindBinaries(); errors.Is(err, pgcluster.ErrNoBinaries) {
		return nil, nil, ""
	}
	ctx := context.Background()
	pg, err := pgcluster.Start(ctx, pgcluster.Options{CrashSafe: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	dsn := pg.DSN("postgres")
	pool, err := database.Open(ctx, dsn, database.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pg, pool, dsn
}

// outage makes PostgreSQL unavailable for about a second: a crash of the private server and
// its recovery on the same data, or (on the shared server) every backend of the test database
// terminated every 100 ms. It says what it did.
func (c *chaosCluster) outage(pg *pgcluster.Cluster) string {
	c.t.Helper()
	start := time.Now()
	if pg != nil {
		pg.Crash()
		for time.Since(start) < time.Second {
			time.Sleep(50 * time.Millisecond) // the outage's length, not a wait for a condition
		}
		if err := pg.Recover(context.Background()); err != nil {
			c.t.Fatal(err)
		}
		return fmt.Sprintf("PostgreSQL crashed (immediate shutdown) and recovered after %s", time.Since(start).Round(time.Millisecond))
	}
	ended := 0
	for time.Since(start) < 1500*time.Millisecond {
		ended += c.terminateBackends()
		time.Sleep(100 * time.Millisecond) // the outage's rhythm, not a wait for a condition
	}
	return fmt.Sprintf("%d backends of the test database terminated over 1.5 s", ended)
}

// TestChaosRealStackPeerPartitionAndPostgresOutage runs the chaos job on the real stack (3
// servers, worker processes, PostgreSQL checkpoint storage, the dispatcher on the test
// database) while the workers drop 30% of their checkpoint-complete notices, and in turn:
// cuts the data plane between the two workers running the job (both still reach every
// server: the exchange fails, the job restarts from its latest checkpoint; healed after the
// restart), and crashes PostgreSQL (a private crash-safe server: immediate shutdown, down for
// a second, crash recovery on the same data; on machines without PostgreSQL binaries every
// backend of the shared server's test database is terminated repeatedly instead): the sink,
// checkpoint storage and dispatcher lose their connections and must recover. At the end a deployment submitted through PostgreSQL must
// reach RUNNING (the dispatcher recovered), every key's sequence in the sink has no gap and no
// duplicate, checkpoint ids only grew and no state of discarded checkpoints is left.
func TestChaosRealStackPeerPartitionAndPostgresOutage(t *testing.T) {
	t.Parallel()
	pg, pool, dsn := privatePostgres(t)
	c := startChaosCluster(t, chaosOptions{Drop: 0.3, Dispatcher: true, Pool: pool, DSN: dsn})
	for round := range *chaosRounds {
		attempt := c.job().Attempt
		switch round % 2 {
		case 0:
			var pair []*chaosWorker
			waitFor(t, "two worker processes running the job", 10*time.Second, func() bool {
				pair = c.jobProcs()
				return len(pair) == 2
			})
			cut := time.Now()
			cutPeers(pair, true)
			c.waitAttempt(fmt.Sprintf("round %d: a restart after cutting %s from %s", round, pair[0].name, pair[1].name), attempt)
			restarted := time.Since(cut)
			cutPeers(pair, false)
			c.progress(fmt.Sprintf("round %d: checkpoints after the peer partition", round), attempt+1)
			t.Logf("round %d: data plane of %s<->%s cut -> attempt %d RUNNING after %s, checkpointing again after %s",
				round, pair[0].name, pair[1].name, c.job().Attempt, restarted.Round(time.Millisecond), time.Since(cut).Round(time.Millisecond))
		case 1:
			start := time.Now()
			what := c.outage(pg)
			rows := countRows(t, c.pool, "chaos_out")
			c.progress(fmt.Sprintf("round %d: checkpoints after the PostgreSQL outage", round), attempt)
			waitFor(t, "sink commits after the outage", 20*time.Second, func() bool { return countRows(t, c.pool, "chaos_out") > rows })
			t.Logf("round %d: %s; attempt %d -> %d, checkpointing and committing again after %s",
				round, what, attempt, c.job().Attempt, time.Since(start).Round(time.Millisecond))
		}
	}
	k := seedDeployment(t, c.pool, store.DeploymentKey{}, "", 1)
	waitFor(t, "a deployment RUNNING after the outages", 30*time.Second, func() bool { return deploymentStatus(t, c.pool, k.ID) == "RUNNING" })
	c.finish(*chaosRounds)
}
