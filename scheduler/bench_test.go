package scheduler

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/pgtest"
)

// BenchmarkScheduler measures the three latencies of issue 4 over several rounds and prints their
// medians next to a baseline from the same run (one Raft apply on a 3-node cluster):
//
//	deployment created -> all tasks RUNNING (target ≤ 300 ms)
//	leader killed -> a new leader serving writes (target ≤ 2 s)
//	worker killed -> its tasks running elsewhere (target ≤ lease + 1 s)
//
// It uses the production Raft timing (Config defaults), real TCP, HTTP and PostgreSQL.
// Run it with `make bench-scheduler`.
func BenchmarkScheduler(b *testing.B) {
	rounds := 5
	if v := os.Getenv("BENCH_ROUNDS"); v != "" {
		fmt.Sscan(v, &rounds)
	}
	prod := func(c *Config) {
		c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = DefaultHeartbeatTimeout, DefaultElectionTimeout, DefaultLeaderLeaseTimeout
		c.CommitTimeout = 50 * time.Millisecond // hashicorp/raft's default
	}
	const lease = 2 * time.Second
	var baseline, deploy, failover, workerLoss []time.Duration
	for b.Loop() {
		baseline = benchApply(b, prod)
		for range rounds {
			deploy = append(deploy, benchDeploy(b, prod))
			failover = append(failover, benchFailover(b, prod))
			workerLoss = append(workerLoss, benchWorkerLoss(b, prod, lease))
		}
	}
	base := median(baseline)
	fmt.Printf("\nscheduler latencies, medians of %d rounds (baseline: one Raft apply on 3 nodes = %s)\n", rounds, base)
	fmt.Printf("%-42s %10s %10s %12s\n", "measure", "median", "target", "x baseline")
	row := func(name string, d []time.Duration, target time.Duration) {
		m := median(d)
		fmt.Printf("%-42s %10s %10s %12.0f\n", name, m.Round(time.Millisecond), target, float64(m)/float64(base))
	}
	row("deployment created -> all tasks RUNNING", deploy, 300*time.Millisecond)
	row("leader killed -> new leader serving", failover, 2*time.Second)
	row("worker killed -> tasks running elsewhere", workerLoss, lease+time.Second)
	b.ReportMetric(float64(median(deploy).Milliseconds()), "deploy-ms")
	b.ReportMetric(float64(median(failover).Milliseconds()), "failover-ms")
	b.ReportMetric(float64(median(workerLoss).Milliseconds()), "workerloss-ms")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchApply measures single command commits on a 3-node cluster (the baseline).
func benchApply(b *testing.B, prod func(*Config)) []time.Duration {
	nodes := startCluster(b, 3, prod)
	l := waitLeader(b, nodes)
	var out []time.Duration
	for i := range 20 {
		start := time.Now()
		if _, err := l.leaderApply(context.Background(), CmdSetMember, newID("cmd"),
			setMemberBody{ID: fmt.Sprint("bench", i), RaftAddr: "127.0.0.1:1"}); err != nil {
			b.Fatal(err)
		}
		out = append(out, time.Since(start))
	}
	return out
}

func benchDeploy(b *testing.B, prod func(*Config)) time.Duration {
	pool := pgtest.NewPool(b)
	nodes := startCluster(b, 1, func(c *Config) { prod(c); c.Pool = pool; c.ReconcileInterval = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 2 {
		register(b, nodes[0].url, 2, fmt.Sprint("w", i)).runLoop(ctx)
	}
	// let the dispatcher's LISTEN start before the clock does
	waitFor(b, 10*time.Second, "dispatcher listening", func() bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN `+notifyChannel+`'`).Scan(&n)
		return n > 0
	})
	start := time.Now()
	dep, _ := seedDeployment(b, pool, "INSERT INTO dst SELECT a, b FROM src", 2, `{}`)
	waitFor(b, 10*time.Second, "deployment RUNNING", func() bool {
		var s string
		_ = pool.QueryRow(ctx, `SELECT status FROM deployments WHERE id = $1`, dep).Scan(&s)
		return s == "RUNNING"
	})
	return time.Since(start)
}

func benchFailover(b *testing.B, prod func(*Config)) time.Duration {
	nodes := startCluster(b, 3, prod)
	l := waitLeader(b, nodes)
	var rest []*testNode
	for _, n := range nodes {
		if n != l {
			rest = append(rest, n)
		}
	}
	start := time.Now()
	l.kill()
	waitFor(b, 10*time.Second, "new leader serving", func() bool {
		nl := leaderOf(rest)
		if nl == nil {
			return false
		}
		_, err := nl.apply(CmdSetMember, newID("cmd"), setMemberBody{ID: "probe", RaftAddr: "127.0.0.1:1"})
		return err == nil
	})
	return time.Since(start)
}

func benchWorkerLoss(b *testing.B, prod func(*Config), lease time.Duration) time.Duration {
	nodes := startCluster(b, 1, func(c *Config) { prod(c); c.Lease = lease })
	n := nodes[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w1ctx, killW1 := context.WithCancel(ctx)
	register(b, n.url, 2, "w1").runLoop(w1ctx)
	register(b, n.url, 2, "w2").runLoop(ctx)
	d := int64(0)
	if err := n.SubmitJob(ctx, JobSpec{ID: "job", Graph: testGraph(b, 2), Restart: RestartStrategy{Type: RestartFixed, DelayMillis: &d}}); err != nil {
		b.Fatal(err)
	}
	waitFor(b, 10*time.Second, "job RUNNING", func() bool { j, _ := n.fsm.Job("job"); return j.Status == JobRunning })
	start := time.Now()
	killW1()
	waitFor(b, 3*lease+10*time.Second, "tasks running elsewhere", func() bool {
		j, _ := n.fsm.Job("job")
		return j.Status == JobRunning && j.Attempt == 2
	})
	return time.Since(start)
}
