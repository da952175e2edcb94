package operator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/flowplane/flowplane/dataflow"
)

// Registry errors.
var (
	ErrUnknownKind   = errors.New("unknown operator kind")
	ErrDuplicateKind = errors.New("operator kind already registered")
)

// Factory builds an operator from its spec (typically decoding spec.Config with DecodeConfig).
type Factory func(spec dataflow.OperatorSpec) (Operator, error)

// Registry maps operator kind names to factories. It is safe for concurrent use.
type Registry struct {
	mu        sync.RWMutex
	factories map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{factories: make(map[string]Factory)} }

// Register adds a kind; registering a kind twice is an error.
func (r *Registry) Register(kind string, f Factory) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.factories[kind]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateKind, kind)
	}
	r.factories[kind] = f
	return nil
}

// Kinds lists the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	kinds := make([]string, 0, len(r.factories))
	for k := range r.factories {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// New instantiates the operator of spec.
func (r *Registry) New(spec dataflow.OperatorSpec) (Operator, error) {
	r.mu.RLock()
	f, ok := r.factories[spec.Kind]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q (operator %q)", ErrUnknownKind, spec.Kind, spec.ID)
	}
	op, err := f(spec)
	if err != nil {
		return nil, fmt.Errorf("operator %q (%s): %w", spec.ID, spec.Kind, err)
	}
	return op, nil
}

// DecodeConfig decodes spec.Config into v, rejecting unknown fields. An empty config leaves v
// unchanged (its defaults).
func DecodeConfig(spec dataflow.OperatorSpec, v any) error {
	if len(spec.Config) == 0 || string(spec.Config) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(spec.Config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// RegisterBuiltins registers the built-in kinds: sequence, project, filter, keyed_count,
// blackhole, keyed_sequence, seq_count, and collect (writing into c, which may be nil to leave
// collect out).
func RegisterBuiltins(r *Registry, c *Collection) error {
	errs := []error{
		r.Register(KindSequence, newSequence),
		r.Register(KindProject, newProject),
		r.Register(KindFilter, newFilter),
		r.Register(KindKeyedCount, newKeyedCount),
		r.Register(KindBlackhole, newBlackhole),
		r.Register(KindKeyedSequence, newKeyedSequence),
		r.Register(KindSeqCount, newSeqCount),
	}
	if c != nil {
		errs = append(errs, r.Register(KindCollect, c.factory))
	}
	return errors.Join(errs...)
}

// Open instantiates an operator of kind with config (marshalled to JSON) and opens it with ctx:
// a shortcut for tools and tests that drive operators without a graph.
func (r *Registry) Open(kind string, config any, ctx *Context) (Operator, error) {
	raw, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	op, err := r.New(dataflow.OperatorSpec{ID: dataflow.OperatorID(kind), Kind: kind, Config: raw})
	if err != nil {
		return nil, err
	}
	if err := op.Open(ctx); err != nil {
		return nil, err
	}
	return op, nil
}
