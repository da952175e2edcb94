package nexmark

import (
	"fmt"
	"strconv"
)

// FromOptions reads the WITH options of a table with 'connector' = 'nexmark' (as validated by
// the SQL binder): 'stream' (person, auction or bid), 'events-per-second', 'number-of-events',
// 'seed', 'person-proportion', 'auction-proportion' and 'bid-proportion'.
func FromOptions(opts map[string]string) (Config, Kind, error) {
	var cfg Config
	kind, ok := ParseKind(opts["stream"])
	if !ok {
		return cfg, 0, fmt.Errorf("%w: 'stream' must be person, auction or bid, have %q", ErrConfig, opts["stream"])
	}
	ints := []struct {
		key string
		dst func(int64)
	}{
		{"events-per-second", func(v int64) { cfg.EventsPerSecond = int(v) }},
		{"number-of-events", func(v int64) { cfg.NumEvents = v }},
		{"seed", func(v int64) { cfg.Seed = v }},
		{"person-proportion", func(v int64) { cfg.PersonProportion = int(v) }},
		{"auction-proportion", func(v int64) { cfg.AuctionProportion = int(v) }},
		{"bid-proportion", func(v int64) { cfg.BidProportion = int(v) }},
	}
	for _, o := range ints {
		s, ok := opts[o.key]
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(s, 10, 32)
		if o.key == "number-of-events" || o.key == "seed" {
			v, err = strconv.ParseInt(s, 10, 64)
		}
		if err != nil {
			return cfg, 0, fmt.Errorf("%w: option '%s': %v", ErrConfig, o.key, err)
		}
		o.dst(v)
	}
	cfg, err := cfg.withDefaults()
	return cfg, kind, err
}
