package nexmark

import (
	"fmt"
	"math/rand/v2"
)

// Generator produces one subtask's share of the events, optionally of one kind only. Its
// Offset is all a checkpoint needs to store: Restore(Offset()) resumes exactly.
type Generator struct {
	cfg         Config
	kind        Kind
	filtered    bool
	next        int64 // next index (event number, or index within the kind when filtered)
	parallelism int64
	pcg         *rand.PCG // reseeded per event: events are a function of (seed, number)
	rng         *rand.Rand
	tables      *seedTables
	reuse       records // storage of NextReused's events
}

// NewGenerator returns subtask's share (of parallelism) of all events in number order.
func NewGenerator(cfg Config, subtask, parallelism int) (*Generator, error) {
	return newGenerator(cfg, 0, false, subtask, parallelism)
}

// NewStream returns subtask's share of the events of one kind (the 'person', 'auction' or
// 'bid' table), in number order.
func NewStream(cfg Config, kind Kind, subtask, parallelism int) (*Generator, error) {
	return newGenerator(cfg, kind, true, subtask, parallelism)
}

func newGenerator(cfg Config, kind Kind, filtered bool, subtask, parallelism int) (*Generator, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if parallelism < 1 || subtask < 0 || subtask >= parallelism {
		return nil, fmt.Errorf("%w: subtask %d of parallelism %d", ErrConfig, subtask, parallelism)
	}
	pcg := rand.NewPCG(0, 0)
	return &Generator{cfg: c, kind: kind, filtered: filtered, next: int64(subtask), parallelism: int64(parallelism),
		pcg: pcg, rng: rand.New(pcg), tables: tablesOf(c.Seed)}, nil
}

// Next returns the next event, or false at the end of a bounded stream.
func (g *Generator) Next() (Event, bool) { return g.next1(nil) }

// NextReused is Next without allocating: the event's Person, Auction or Bid is storage of g
// that the next call overwrites. Its strings stay valid.
func (g *Generator) NextReused() (Event, bool) { return g.next1(&g.reuse) }

func (g *Generator) next1(reuse *records) (Event, bool) {
	n := g.next
	if g.filtered {
		n = g.cfg.kindNumber(g.kind, g.next)
	}
	if g.cfg.NumEvents > 0 && n >= g.cfg.NumEvents {
		return Event{}, false
	}
	g.next += g.parallelism
	g.pcg.Seed(uint64(g.cfg.Seed), uint64(n))
	return g.cfg.eventWith(g.rng, g.tables, n, reuse), true
}

// Offset is the position of the next event; pass it to Restore to resume after a restore.
func (g *Generator) Offset() int64 { return g.next }

// Restore positions the generator at an offset returned by Offset (of a generator with the same
// configuration, subtask and parallelism).
func (g *Generator) Restore(offset int64) { g.next = offset }
