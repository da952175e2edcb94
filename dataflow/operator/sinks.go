package operator

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
)

// blackhole discards its input.
type blackhole struct{ Base }

func newBlackhole(dataflow.OperatorSpec) (Operator, error) { return &blackhole{}, nil }

func (b *blackhole) ProcessBatch(int, arrow.RecordBatch, Emitter) error { return nil }

// ProcessWatermark swallows the watermark: a sink has nothing downstream.
func (b *blackhole) ProcessWatermark(int64, Emitter) error { return nil }

// CollectConfig names the stream a collect sink appends to in its Collection.
type CollectConfig struct {
	Name string `json:"name"`
}

// Collection is the shared store of collect sinks, for tests: each sink subtask appends the
// batches it receives (retained) and its watermarks under its configured name. Pause makes every
// collect sink block before processing its next batch until Resume, to simulate a slow sink.
type Collection struct {
	mu         sync.Mutex
	batches    map[string][]arrow.RecordBatch
	watermarks map[string]int64
	gate       sync.RWMutex
}

// NewCollection returns an empty collection.
func NewCollection() *Collection {
	return &Collection{batches: make(map[string][]arrow.RecordBatch), watermarks: make(map[string]int64)}
}

// Pause blocks collect sinks before their next batch.
func (c *Collection) Pause() { c.gate.Lock() }

// Resume releases paused sinks.
func (c *Collection) Resume() { c.gate.Unlock() }

// Batches returns the batches collected under name so far (still owned by the collection).
func (c *Collection) Batches(name string) []arrow.RecordBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]arrow.RecordBatch(nil), c.batches[name]...)
}

// Rows returns the number of rows collected under name.
func (c *Collection) Rows(name string) int64 {
	var n int64
	for _, b := range c.Batches(name) {
		n += b.NumRows()
	}
	return n
}

// Watermark returns the highest watermark a sink named name received, and whether it got any.
func (c *Collection) Watermark(name string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	wm, ok := c.watermarks[name]
	return wm, ok
}

// Release releases every collected batch.
func (c *Collection) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, bs := range c.batches {
		for _, b := range bs {
			b.Release()
		}
		delete(c.batches, name)
	}
}

func (c *Collection) factory(spec dataflow.OperatorSpec) (Operator, error) {
	var cfg CollectConfig
	if err := DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	return &collect{c: c, name: cfg.Name}, nil
}

type collect struct {
	Base
	c    *Collection
	name string
}

func (s *collect) ProcessBatch(_ int, rec arrow.RecordBatch, _ Emitter) error {
	s.c.gate.RLock() // blocks while the collection is paused
	defer s.c.gate.RUnlock()
	rec.Retain()
	s.c.mu.Lock()
	s.c.batches[s.name] = append(s.c.batches[s.name], rec)
	s.c.mu.Unlock()
	return nil
}

func (s *collect) ProcessWatermark(wm int64, _ Emitter) error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if old, ok := s.c.watermarks[s.name]; !ok || wm > old {
		s.c.watermarks[s.name] = wm
	}
	return nil
}
