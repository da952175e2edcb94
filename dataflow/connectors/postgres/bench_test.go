package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/flowplane/flowplane/services/pgtest"
)

// BenchmarkSinkCommit measures one checkpoint's commit of 10,000 rows (rows/s), in append mode
// (COPY) and upsert mode (batched INSERT … ON CONFLICT updating 9,000 keys, DELETE of 1,000).
func BenchmarkSinkCommit(b *testing.B) {
	const rows = 10000
	pool := pgtest.NewPool(b)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE events (k text NOT NULL, seq bigint NOT NULL);
		CREATE TABLE kv (k bigint PRIMARY KEY, v text NOT NULL, n bigint NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	for _, mode := range []Mode{Append, Upsert} {
		b.Run(string(mode), func(b *testing.B) {
			cfg := SinkConfig{SinkID: "bench/" + string(mode), Attempt: 1, Table: "events", Columns: []string{"k", "seq"}, Mode: mode}
			if mode == Upsert {
				cfg.Table, cfg.Columns, cfg.PrimaryKey = "kv", []string{"k", "v", "n"}, []string{"k"}
			}
			s, err := NewSink(ctx, pool, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for r := range rows {
					row := Row{Kind: Insert, Values: []any{fmt.Sprint(r), int64(r)}}
					if mode == Upsert {
						row.Values = []any{int64(r), "v", int64(i)}
						if r%10 == 9 {
							row.Kind = Delete
						}
					}
					if err := s.Write(row); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := s.SnapshotState(uint64(i + 1)); err != nil {
					b.Fatal(err)
				}
				if _, err := s.NotifyCheckpointComplete(ctx, uint64(i+1)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
