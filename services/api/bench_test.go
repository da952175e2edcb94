package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAPI measures two routes through the whole stack (HTTP, auth, validation, store,
// PostgreSQL) next to a baseline measured in the same run: a bare SELECT 1 round trip on the same
// pool. Each reports req/s, p50 and p99. Run it with `make bench-api`.
func BenchmarkAPI(b *testing.B) {
	e := newEnv(b)
	w := e.newWorld(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	call := func(method, path, body string) error {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, e.srv.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+w.owner)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s = %d", method, path, resp.StatusCode)
		}
		return nil
	}
	cases := []struct {
		name string
		op   func() error
	}{
		{"baseline_postgres_select_1", func() error {
			var one int
			return e.pool.QueryRow(context.Background(), "SELECT 1").Scan(&one)
		}},
		{"get_service", func() error { return call("GET", w.base, "") }},
		{"post_application", func() error {
			return call("POST", w.base+"/applications", fmt.Sprintf(`{"name":"bench-%d"}`, n.Add(1)))
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var mu sync.Mutex
			var all []time.Duration
			b.SetParallelism(4)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					t0 := time.Now()
					if err := c.op(); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				all = append(all, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			if len(all) == 0 {
				return
			}
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50_µs")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99_µs")
		})
	}
}
