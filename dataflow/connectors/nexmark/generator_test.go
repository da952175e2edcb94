package nexmark

import (
	"errors"
	"reflect"
	"testing"
)

func collect(t *testing.T, g *Generator, n int) []Event {
	t.Helper()
	var out []Event
	for range n {
		ev, ok := g.Next()
		if !ok {
			break
		}
		out = append(out, ev)
	}
	return out
}

func TestMixIsOneThreeFortySix(t *testing.T) {
	t.Parallel()
	g, err := NewGenerator(Config{Seed: 1}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[Kind]int{}
	for _, ev := range collect(t, g, 5000) {
		counts[ev.Kind]++
	}
	if counts[KindPerson] != 100 || counts[KindAuction] != 300 || counts[KindBid] != 4600 {
		t.Fatalf("counts = %v, want 100 persons, 300 auctions, 4600 bids", counts)
	}
}

func TestDeterministicBySeed(t *testing.T) {
	t.Parallel()
	a, _ := EventAt(Config{Seed: 7}, 12345)
	b, _ := EventAt(Config{Seed: 7}, 12345)
	c, _ := EventAt(Config{Seed: 8}, 12345)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different events: %+v vs %+v", a.Bid, b.Bid)
	}
	if reflect.DeepEqual(a, c) {
		t.Fatalf("different seeds gave the same event %+v", a.Bid)
	}
}

func TestReplayFromOffset(t *testing.T) {
	t.Parallel()
	g, _ := NewStream(Config{Seed: 3}, KindBid, 1, 3)
	collect(t, g, 50)
	off := g.Offset()
	want := collect(t, g, 20)
	h, _ := NewStream(Config{Seed: 3}, KindBid, 1, 3)
	h.Restore(off)
	if got := collect(t, h, 20); !reflect.DeepEqual(got, want) {
		t.Fatalf("replay from offset %d differs", off)
	}
}

func TestParallelSubtasksPartitionTheStream(t *testing.T) {
	t.Parallel()
	cfg := Config{Seed: 5, NumEvents: 600}
	seen := map[int64]bool{}
	for s := range 3 {
		g, _ := NewGenerator(cfg, s, 3)
		for _, ev := range collect(t, g, 1000) {
			if seen[ev.Number] {
				t.Fatalf("event %d produced twice", ev.Number)
			}
			seen[ev.Number] = true
		}
	}
	if len(seen) != 600 {
		t.Fatalf("subtasks produced %d events, want 600", len(seen))
	}
}

func TestStreamMatchesFilteredEvents(t *testing.T) {
	t.Parallel()
	cfg := Config{Seed: 9}
	all, _ := NewGenerator(cfg, 0, 1)
	var want []Event
	for _, ev := range collect(t, all, 1000) {
		if ev.Kind == KindAuction {
			want = append(want, ev)
		}
	}
	s, _ := NewStream(cfg, KindAuction, 0, 1)
	if got := collect(t, s, len(want)); !reflect.DeepEqual(got, want) {
		t.Fatalf("auction stream differs from the filtered event sequence")
	}
}

func TestReferentialShape(t *testing.T) {
	t.Parallel()
	g, _ := NewGenerator(Config{Seed: 11}, 0, 1)
	var lastPerson, lastAuction int64 = firstPersonID - 1, firstAuctionID - 1
	var prev Event
	for i, ev := range collect(t, g, 20000) {
		if i > 0 && ev.Time().Before(prev.Time()) {
			t.Fatalf("event %d time %v before %v", ev.Number, ev.Time(), prev.Time())
		}
		prev = ev
		switch ev.Kind {
		case KindPerson:
			if ev.Person.ID != lastPerson+1 {
				t.Fatalf("person id %d after %d", ev.Person.ID, lastPerson)
			}
			lastPerson = ev.Person.ID
		case KindAuction:
			if ev.Auction.ID != lastAuction+1 {
				t.Fatalf("auction id %d after %d", ev.Auction.ID, lastAuction)
			}
			lastAuction = ev.Auction.ID
			if !ev.Auction.Expires.After(ev.Auction.DateTime) || ev.Auction.Reserve < ev.Auction.InitialBid {
				t.Fatalf("auction %+v: expires before start or reserve below initial bid", ev.Auction)
			}
			if c := ev.Auction.Category; c < firstCategoryID || c >= firstCategoryID+numCategories {
				t.Fatalf("category %d out of range", c)
			}
		case KindBid:
			if ev.Bid.Auction > lastAuction+auctionIDLead || ev.Bid.Auction < firstAuctionID {
				t.Fatalf("bid on auction %d, last auction %d", ev.Bid.Auction, lastAuction)
			}
			if ev.Bid.Price <= 0 || ev.Bid.Channel == "" || ev.Bid.URL == "" {
				t.Fatalf("bad bid %+v", ev.Bid)
			}
		}
		if got, want := len(ev.Row()), len(Fields(ev.Kind)); got != want {
			t.Fatalf("row has %d values, want %d", got, want)
		}
	}
}

func TestBoundedAndInvalidConfigs(t *testing.T) {
	t.Parallel()
	g, _ := NewStream(Config{NumEvents: 100}, KindPerson, 0, 1)
	if got := len(collect(t, g, 1000)); got != 2 {
		t.Fatalf("100 events hold %d persons, want 2", got)
	}
	if _, err := NewGenerator(Config{EventsPerSecond: -1}, 0, 1); !errors.Is(err, ErrConfig) {
		t.Fatalf("negative rate: err = %v, want ErrConfig", err)
	}
	if _, err := NewGenerator(Config{}, 2, 2); !errors.Is(err, ErrConfig) {
		t.Fatalf("subtask out of range: err = %v, want ErrConfig", err)
	}
}

func TestFromOptions(t *testing.T) {
	t.Parallel()
	cfg, kind, err := FromOptions(map[string]string{"connector": "nexmark", "stream": "bid", "seed": "42", "events-per-second": "500"})
	if err != nil {
		t.Fatal(err)
	}
	if kind != KindBid || cfg.Seed != 42 || cfg.EventsPerSecond != 500 || cfg.BidProportion != 46 {
		t.Fatalf("FromOptions = %+v %v", cfg, kind)
	}
	if _, _, err := FromOptions(map[string]string{"stream": "lot"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad stream: err = %v, want ErrConfig", err)
	}
}

func TestNextReusedMatchesNext(t *testing.T) {
	t.Parallel()
	a, _ := NewGenerator(Config{Seed: 4}, 1, 2)
	b, _ := NewGenerator(Config{Seed: 4}, 1, 2)
	for range 3000 {
		want, ok1 := a.Next()
		got, ok2 := b.NextReused()
		if ok1 != ok2 || !reflect.DeepEqual(got, want) {
			t.Fatalf("NextReused %+v, Next %+v", got, want)
		}
	}
}

func TestRandomStringsVary(t *testing.T) {
	t.Parallel()
	g, _ := NewStream(Config{Seed: 6}, KindAuction, 0, 1)
	descs := map[string]bool{}
	for _, ev := range collect(t, g, 1000) {
		d := ev.Auction.Description
		if len(d) != 100 || len(ev.Auction.ItemName) != 20 {
			t.Fatalf("description of %d letters, item name of %d, want 100 and 20", len(d), len(ev.Auction.ItemName))
		}
		for _, c := range d {
			if c < 'a' || c > 'z' {
				t.Fatalf("description %q has a non-letter", d)
			}
		}
		descs[d] = true
	}
	if len(descs) < 990 {
		t.Fatalf("1000 auctions have only %d distinct descriptions", len(descs))
	}
}

func BenchmarkGenerator(b *testing.B) {
	g, _ := NewGenerator(Config{Seed: 3}, 0, 1)
	for b.Loop() {
		g.NextReused()
	}
}
