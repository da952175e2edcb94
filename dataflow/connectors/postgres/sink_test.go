package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/services/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func exec(t *testing.T, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

func appendSink(t *testing.T, pool *pgxpool.Pool, attempt int64) *Sink {
	t.Helper()
	s, err := NewSink(context.Background(), pool, SinkConfig{SinkID: "job/sink", Subtask: 0, Attempt: attempt,
		Table: "public.events", Columns: []string{"k", "seq"}, Mode: Append})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func appendTable(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.NewPool(t)
	exec(t, pool, "CREATE TABLE events (k text NOT NULL, seq bigint NOT NULL)")
	return pool
}

func writeSeq(t *testing.T, s *Sink, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Write(Row{Kind: Insert, Values: []any{"a", i}}); err != nil {
			t.Fatal(err)
		}
	}
}

func snapshot(t *testing.T, s *Sink, id uint64) []byte {
	t.Helper()
	b, err := s.SnapshotState(id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func notify(t *testing.T, s *Sink, id uint64) CommitResult {
	t.Helper()
	res, err := s.NotifyCheckpointComplete(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// table returns "count distinct-count max" of events, to spot duplicates and losses.
func table(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var n, d, m int64
	err := pool.QueryRow(context.Background(), "SELECT count(*), count(DISTINCT seq), coalesce(max(seq), -1) FROM events").Scan(&n, &d, &m)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d %d %d", n, d, m)
}

func TestAppendCommitsOnlyCompletedCheckpoints(t *testing.T) {
	t.Parallel()
	pool := appendTable(t)
	s := appendSink(t, pool, 1)
	writeSeq(t, s, 0, 10)
	snapshot(t, s, 1)
	writeSeq(t, s, 10, 25)
	snapshot(t, s, 2)
	writeSeq(t, s, 25, 30) // after the last barrier: not part of any checkpoint yet
	if got := table(t, pool); got != "0 0 -1" {
		t.Fatalf("rows visible before any checkpoint completed: %s", got)
	}
	// The notification of 1 is lost; 2 subsumes it.
	if res := notify(t, s, 2); res.Checkpoints != 2 || res.Rows != 25 {
		t.Fatalf("commit = %+v, want 2 checkpoints and 25 rows", res)
	}
	if got := table(t, pool); got != "25 25 24" {
		t.Fatalf("table = %s, want 25 rows 0..24", got)
	}
	if s.Pending() != 0 {
		t.Fatalf("%d commits still pending", s.Pending())
	}
}

func TestReplayAfterRestoreWritesNoDuplicates(t *testing.T) {
	t.Parallel()
	pool := appendTable(t)
	old := appendSink(t, pool, 1)
	writeSeq(t, old, 0, 10)
	snapshot(t, old, 1)
	writeSeq(t, old, 10, 20)
	state2 := snapshot(t, old, 2) // holds pending 1 and 2
	notify(t, old, 2)             // committed, then the task dies

	// Attempt 2 restores checkpoint 2 and retries its pending commits: all skipped.
	s := appendSink(t, pool, 2)
	if err := s.Claim(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.RestoreState(state2); err != nil {
		t.Fatal(err)
	}
	res, err := s.CommitRestored(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 2 || res.Rows != 0 {
		t.Fatalf("replay = %+v, want both checkpoints skipped", res)
	}
	writeSeq(t, s, 20, 30) // the source replays from checkpoint 2's offsets
	snapshot(t, s, 3)
	notify(t, s, 3)
	if got := table(t, pool); got != "30 30 29" {
		t.Fatalf("table = %s, want 30 distinct rows", got)
	}
}

func TestRestoreCommitsWhatTheCrashLeftPending(t *testing.T) {
	t.Parallel()
	pool := appendTable(t)
	old := appendSink(t, pool, 1)
	writeSeq(t, old, 0, 10)
	state1 := snapshot(t, old, 1) // checkpoint 1 completes but the task dies before the notification

	s := appendSink(t, pool, 2)
	if err := s.RestoreState(state1); err != nil {
		t.Fatal(err)
	}
	if res, err := s.CommitRestored(context.Background()); err != nil || res.Rows != 10 {
		t.Fatalf("CommitRestored = %+v, %v; want 10 rows", res, err)
	}
	if got := table(t, pool); got != "10 10 9" {
		t.Fatalf("table = %s", got)
	}
}

func TestOlderAttemptIsFenced(t *testing.T) {
	t.Parallel()
	pool := appendTable(t)
	old := appendSink(t, pool, 1)
	writeSeq(t, old, 0, 10)
	snapshot(t, old, 1)

	s := appendSink(t, pool, 2)
	writeSeq(t, s, 100, 105)
	snapshot(t, s, 1)
	notify(t, s, 1) // the new attempt commits first (without an explicit Claim)

	if _, err := old.NotifyCheckpointComplete(context.Background(), 1); !errors.Is(err, ErrFenced) {
		t.Fatalf("old attempt commit = %v, want ErrFenced", err)
	}
	if err := old.Claim(context.Background()); !errors.Is(err, ErrFenced) {
		t.Fatalf("old attempt Claim = %v, want ErrFenced", err)
	}
	if got := table(t, pool); got != "5 5 104" {
		t.Fatalf("table = %s, want only the new attempt's 5 rows", got)
	}
}

func TestConcurrentOldAndNewAttemptOnlyNewLands(t *testing.T) {
	t.Parallel()
	for round := range 5 {
		pool := appendTable(t)
		old := appendSink(t, pool, 1)
		writeSeq(t, old, 0, 50)
		snapshot(t, old, 7)
		s := appendSink(t, pool, 2)
		if err := s.Claim(context.Background()); err != nil {
			t.Fatal(err)
		}
		writeSeq(t, s, 1000, 1050)
		snapshot(t, s, 7)
		var wg sync.WaitGroup
		var oldErr, newErr error
		wg.Go(func() { _, oldErr = old.NotifyCheckpointComplete(context.Background(), 7) })
		wg.Go(func() { _, newErr = s.NotifyCheckpointComplete(context.Background(), 7) })
		wg.Wait()
		if !errors.Is(oldErr, ErrFenced) || newErr != nil {
			t.Fatalf("round %d: old = %v (want ErrFenced), new = %v", round, oldErr, newErr)
		}
		if got := table(t, pool); got != "50 50 1049" {
			t.Fatalf("round %d: table = %s, want the new attempt's 50 rows only", round, got)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	ok := SinkConfig{SinkID: "s", Table: "t", Columns: []string{"a", "b"}, Mode: Upsert, PrimaryKey: []string{"a"}}
	for name, mut := range map[string]func(*SinkConfig){
		"no id":        func(c *SinkConfig) { c.SinkID = "" },
		"bad table":    func(c *SinkConfig) { c.Table = "a.b.c" },
		"empty table":  func(c *SinkConfig) { c.Table = "" },
		"no columns":   func(c *SinkConfig) { c.Columns = nil },
		"bad mode":     func(c *SinkConfig) { c.Mode = "merge" },
		"upsert no pk": func(c *SinkConfig) { c.PrimaryKey = nil },
		"pk not col":   func(c *SinkConfig) { c.PrimaryKey = []string{"z"} },
	} {
		c := ok
		mut(&c)
		if err := c.validate(); !errors.Is(err, ErrConfig) {
			t.Fatalf("%s: validate = %v, want ErrConfig", name, err)
		}
	}
	if err := ok.validate(); err != nil || ok.BatchRows != 1000 {
		t.Fatalf("valid config: %v, batch %d", err, ok.BatchRows)
	}
}

func TestWriteRejectsBadRows(t *testing.T) {
	t.Parallel()
	s := &Sink{cfg: SinkConfig{Columns: []string{"a"}, Mode: Append}}
	for _, r := range []Row{{Kind: Delete, Values: []any{1}}, {Kind: Insert}, {Kind: 'x', Values: []any{1}}} {
		if err := s.Write(r); !errors.Is(err, ErrRow) {
			t.Fatalf("Write(%v) = %v, want ErrRow", r, err)
		}
	}
	if err := s.Write(Row{Kind: Insert, Values: []any{struct{}{}}}); !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("Write(struct) = %v, want ErrUnsupportedValue", err)
	}
}

func sinkAs(t *testing.T, pool *pgxpool.Pool, id string, subtask int, attempt int64) *Sink {
	t.Helper()
	s, err := NewSink(context.Background(), pool, SinkConfig{SinkID: id, Subtask: subtask, Attempt: attempt,
		Table: "events", Columns: []string{"k", "seq"}, Mode: Append})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRescaleCommitsUnderTheOldSubtasksMarkers(t *testing.T) {
	t.Parallel()
	pool := appendTable(t)
	ctx := context.Background()
	// Parallelism 2: both subtasks seal checkpoint 4; subtask 0 commits it, subtask 1 dies first.
	a, b := sinkAs(t, pool, "job/sink", 0, 1), sinkAs(t, pool, "job/sink", 1, 1)
	writeSeq(t, a, 0, 10)
	writeSeq(t, b, 10, 20)
	stA, stB := snapshot(t, a, 4), snapshot(t, b, 4)
	notify(t, a, 4)

	// Rescaled to parallelism 1, attempt 2: the one subtask restores both old states.
	s := sinkAs(t, pool, "job/sink", 0, 2)
	if err := errors.Join(s.RestoreState(stA), s.RestoreState(stB)); err != nil {
		t.Fatal(err)
	}
	res, err := s.CommitRestored(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 1 || res.Rows != 10 {
		t.Fatalf("CommitRestored = %+v, want old subtask 0 skipped and subtask 1's 10 rows", res)
	}
	if got := table(t, pool); got != "20 20 19" {
		t.Fatalf("table = %s", got)
	}
	// The old attempt's subtask 1 is fenced now.
	if _, err := b.NotifyCheckpointComplete(ctx, 4); !errors.Is(err, ErrFenced) {
		t.Fatalf("zombie subtask 1 commit = %v, want ErrFenced", err)
	}
}

func TestRestoreFromAnotherJobsSavepoint(t *testing.T) {
	t.Parallel()
	pool := appendTable(t)
	ctx := context.Background()
	// Job A (at attempt 5) takes savepoint 9 and stops; the savepoint's commit landed.
	a := sinkAs(t, pool, "jobA/sink", 0, 5)
	writeSeq(t, a, 0, 10)
	sp := snapshot(t, a, 9)
	notify(t, a, 9)
	// Job B starts from the savepoint at attempt 1 with its own sink id and checkpoint ids.
	b := sinkAs(t, pool, "jobB/sink", 0, 1)
	if err := b.RestoreState(sp); err != nil {
		t.Fatal(err)
	}
	if res, err := b.CommitRestored(ctx); err != nil || res.Skipped != 1 {
		t.Fatalf("CommitRestored = %+v, %v; want the savepoint's commit skipped, not fenced", res, err)
	}
	writeSeq(t, b, 10, 15)
	snapshot(t, b, 1)
	notify(t, b, 1)
	if got := table(t, pool); got != "15 15 14" {
		t.Fatalf("table = %s", got)
	}
}
