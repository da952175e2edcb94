package nexmark

import (
	"errors"
	"fmt"
	"time"
)

// ErrConfig is wrapped by configuration errors.
var ErrConfig = errors.New("invalid nexmark config")

// Config parameterises the generator. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// Seed makes the streams reproducible; two generators with the same config produce the
	// same events.
	Seed int64
	// EventsPerSecond spaces event timestamps 1s/EventsPerSecond apart (event time, not a
	// rate limit; sources pace themselves separately).
	EventsPerSecond int
	// NumEvents ends the stream after this many events (0: unbounded).
	NumEvents int64
	// PersonProportion, AuctionProportion and BidProportion give the mix (1:3:46).
	PersonProportion, AuctionProportion, BidProportion int
	// BaseTime is the timestamp of event 0.
	BaseTime time.Time
	// AvgPersonBytes, AvgAuctionBytes and AvgBidBytes size the extra padding column.
	AvgPersonBytes, AvgAuctionBytes, AvgBidBytes int
}

// DefaultConfig is the benchmark's standard configuration.
func DefaultConfig() Config {
	return Config{
		EventsPerSecond:  10000,
		PersonProportion: 1, AuctionProportion: 3, BidProportion: 46,
		BaseTime:       time.Date(2015, 7, 15, 0, 0, 0, 0, time.UTC),
		AvgPersonBytes: 200, AvgAuctionBytes: 500, AvgBidBytes: 100,
	}
}

// withDefaults fills zero fields from DefaultConfig and validates.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.EventsPerSecond == 0 {
		c.EventsPerSecond = d.EventsPerSecond
	}
	if c.PersonProportion == 0 && c.AuctionProportion == 0 && c.BidProportion == 0 {
		c.PersonProportion, c.AuctionProportion, c.BidProportion = d.PersonProportion, d.AuctionProportion, d.BidProportion
	}
	if c.BaseTime.IsZero() {
		c.BaseTime = d.BaseTime
	}
	if c.AvgPersonBytes == 0 {
		c.AvgPersonBytes = d.AvgPersonBytes
	}
	if c.AvgAuctionBytes == 0 {
		c.AvgAuctionBytes = d.AvgAuctionBytes
	}
	if c.AvgBidBytes == 0 {
		c.AvgBidBytes = d.AvgBidBytes
	}
	switch {
	case c.EventsPerSecond < 0:
		return c, fmt.Errorf("%w: events per second %d < 0", ErrConfig, c.EventsPerSecond)
	case c.NumEvents < 0:
		return c, fmt.Errorf("%w: number of events %d < 0", ErrConfig, c.NumEvents)
	case c.PersonProportion < 1 || c.AuctionProportion < 1 || c.BidProportion < 1:
		return c, fmt.Errorf("%w: proportions must be >= 1, have %d:%d:%d", ErrConfig,
			c.PersonProportion, c.AuctionProportion, c.BidProportion)
	}
	return c, nil
}

func (c Config) total() int64 {
	return int64(c.PersonProportion + c.AuctionProportion + c.BidProportion)
}

// interEventNanos is the event-time distance between consecutive events.
func (c Config) interEventNanos() int64 { return int64(time.Second) / int64(c.EventsPerSecond) }
