package exec

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/dataflow/connectors/nexmark"
)

// finalSet applies a printed changelog: +I/+U add a row, -U/-D remove one.
func finalSet(out string) map[string]int {
	rows := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		_, body, _ := strings.Cut(line, "> ")
		if len(body) < 2 {
			continue
		}
		switch row := body[2:]; body[:2] {
		case "+I", "+U":
			rows[row]++
		case "-U", "-D":
			if rows[row]--; rows[row] == 0 {
				delete(rows, row)
			}
		}
	}
	return rows
}

func events(t *testing.T, n int64) []nexmark.Event {
	t.Helper()
	g, err := nexmark.NewGenerator(nexmark.Config{Seed: 3, NumEvents: n}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	var out []nexmark.Event
	for {
		ev, ok := g.Next()
		if !ok {
			return out
		}
		out = append(out, ev)
	}
}

func TestJoinAndTopNRun(t *testing.T) {
	t.Parallel()
	evs := events(t, 5000)
	// q20: bids joined with their auction when the category is 10.
	cat10 := map[int64]bool{}
	for _, ev := range evs {
		if ev.Kind == nexmark.KindAuction && ev.Auction.Category == 10 {
			cat10[ev.Auction.ID] = true
		}
	}
	want := 0
	for _, ev := range evs {
		if ev.Kind == nexmark.KindBid && cat10[ev.Bid.Auction] {
			want++
		}
	}
	out := runGraph(t, nexmarkScript(t, "q20", 5000), 2)
	if got := len(finalSet(out)); got == 0 || strings.Count(out, "\n") != want {
		t.Fatalf("q20 printed %d rows, want %d", strings.Count(out, "\n"), want)
	}
	// q19: the top 10 bids by price of each auction.
	prices := map[int64][]int64{}
	for _, ev := range evs {
		if ev.Kind == nexmark.KindBid {
			prices[ev.Bid.Auction] = append(prices[ev.Bid.Auction], ev.Bid.Price)
		}
	}
	want = 0
	for _, ps := range prices {
		want += min(len(ps), 10)
	}
	final := finalSet(runGraph(t, nexmarkScript(t, "q19", 5000), 2))
	got := 0
	for _, n := range final {
		got += n
	}
	if got != want {
		t.Fatalf("q19 keeps %d rows, want %d", got, want)
	}
	// The highest price of one auction is ranked 1.
	for a, ps := range prices {
		sort.Slice(ps, func(i, j int) bool { return ps[i] > ps[j] })
		found := false
		for row := range final {
			if strings.HasPrefix(row, "["+itoa(a)+", ") && strings.Contains(row, ", "+itoa(ps[0])+", ") && strings.HasSuffix(row, ", 1]") {
				found = true
			}
		}
		if !found {
			t.Fatalf("q19: no rank-1 row for auction %d with price %d", a, ps[0])
		}
		break
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestNexmarkQueriesRun runs every Nexmark query this package has the operators for.
func TestNexmarkQueriesRun(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8", "q9", "q11", "q12", "q16", "q17", "q18", "q21"} {
		if out := runGraph(t, nexmarkScript(t, q, 3000), 2); strings.Count(out, "\n") == 0 && q != "q2" && q != "q3" {
			t.Fatalf("%s printed nothing", q)
		}
	}
}

// TestPrunedJoinMatchesEvents checks q3, whose join the planner runs on pruned inputs (only
// the columns the query reads), against the join computed from the generated events.
func TestPrunedJoinMatchesEvents(t *testing.T) {
	t.Parallel()
	evs := events(t, 20000)
	people := map[int64]*nexmark.Person{}
	for _, ev := range evs {
		if ev.Kind == nexmark.KindPerson && (ev.Person.State == "OR" || ev.Person.State == "ID" || ev.Person.State == "CA") {
			people[ev.Person.ID] = ev.Person
		}
	}
	want := map[string]int{}
	for _, ev := range evs {
		if a := ev.Auction; ev.Kind == nexmark.KindAuction && a.Category == 10 {
			if p := people[a.Seller]; p != nil {
				want["["+p.Name+", "+p.City+", "+p.State+", "+itoa(a.ID)+"]"]++
			}
		}
	}
	got := finalSet(runGraph(t, nexmarkScript(t, "q3", 20000), 2))
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("q3 gave %d distinct rows, want %d", len(got), len(want))
	}
	for row, n := range want {
		if got[row] != n {
			t.Fatalf("q3 row %s appears %d times, want %d", row, got[row], n)
		}
	}
}

// TestSharedAggregateMatchesUnshared runs q5, whose two identical HOP counts the planner now
// computes once, and a variant whose second count differs in form only (COUNT(auction): no
// bid has a NULL auction), which is planned without sharing: the final results agree.
func TestSharedAggregateMatchesUnshared(t *testing.T) {
	t.Parallel()
	shared := nexmarkScript(t, "q5", 20000)
	i := strings.LastIndex(shared, "count(*) AS num")
	if i < 0 || strings.Index(shared, "count(*) AS num") == i {
		t.Fatal("q5 no longer has two count(*) AS num")
	}
	unshared := shared[:i] + "count(auction) AS num" + shared[i+len("count(*) AS num"):]
	want := finalSet(runGraph(t, unshared, 2))
	got := finalSet(runGraph(t, shared, 2))
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("shared q5 gave %d rows, unshared %d", len(got), len(want))
	}
	for row, n := range want {
		if got[row] != n {
			t.Fatalf("row %s: %d times shared, %d unshared", row, got[row], n)
		}
	}
}
