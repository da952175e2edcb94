package nexmark

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

var (
	firstNames  = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames   = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	usStates    = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities    = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	hotChannels = []string{"Google", "Facebook", "Baidu", "Apple"}
)

// EventAt returns event number n (0-based) of the streams cfg describes.
func EventAt(cfg Config, n int64) (Event, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return Event{}, err
	}
	return c.eventAt(n), nil
}

func (c Config) eventAt(n int64) Event {
	return c.eventWith(rand.New(rand.NewPCG(uint64(c.Seed), uint64(n))), n)
}

// eventWith builds event n from rng, which must be seeded with (c.Seed, n).
func (c Config) eventWith(rng *rand.Rand, n int64) Event {
	ts := c.BaseTime.Add(time.Duration(n * c.interEventNanos())).Truncate(time.Millisecond)
	ev := Event{Number: n, Kind: c.kindAt(n)}
	switch ev.Kind {
	case KindPerson:
		ev.Person = c.person(rng, n, ts)
	case KindAuction:
		ev.Auction = c.auction(rng, n, ts)
	default:
		ev.Bid = c.bid(rng, n, ts)
	}
	return ev
}

func (c Config) person(rng *rand.Rand, n int64, ts time.Time) *Person {
	p := &Person{
		ID:           c.lastBase0PersonID(n) + firstPersonID,
		Name:         firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))],
		EmailAddress: randomString(rng, 7) + "@" + randomString(rng, 5) + ".com",
		CreditCard:   fmt.Sprintf("%04d %04d %04d %04d", rng.IntN(10000), rng.IntN(10000), rng.IntN(10000), rng.IntN(10000)),
		City:         usCities[rng.IntN(len(usCities))],
		State:        usStates[rng.IntN(len(usStates))],
		DateTime:     ts,
	}
	p.Extra = extra(rng, len(p.Name)+len(p.EmailAddress)+len(p.CreditCard)+len(p.City)+len(p.State)+24, c.AvgPersonBytes)
	return p
}

func (c Config) auction(rng *rand.Rand, n int64, ts time.Time) *Auction {
	seller := c.nextBase0PersonID(rng, n)
	if rng.IntN(hotSellersRatio) > 0 {
		seller = (c.lastBase0PersonID(n) / hotRounding) * hotRounding
	}
	a := &Auction{
		ID:          c.lastBase0AuctionID(n) + firstAuctionID,
		ItemName:    randomString(rng, 20),
		Description: randomString(rng, 100),
		InitialBid:  nextPrice(rng),
		DateTime:    ts,
		Seller:      seller + firstPersonID,
		Category:    firstCategoryID + int64(rng.IntN(numCategories)),
	}
	a.Reserve = a.InitialBid + nextPrice(rng)
	a.Expires = ts.Add(c.nextAuctionLength(rng))
	a.Extra = extra(rng, len(a.ItemName)+len(a.Description)+64, c.AvgAuctionBytes)
	return a
}

// nextAuctionLength spreads auction lengths so that about numInFlightAuctions are open.
func (c Config) nextAuctionLength(rng *rand.Rand) time.Duration {
	events := int64(numInFlightAuctions) * c.total() / int64(c.AuctionProportion)
	horizon := events * c.interEventNanos() / int64(time.Millisecond)
	return time.Duration(1+rng.Int64N(max(2*horizon, 1))) * time.Millisecond
}

func (c Config) bid(rng *rand.Rand, n int64, ts time.Time) *Bid {
	auction := c.nextBase0AuctionID(rng, n)
	if rng.IntN(hotAuctionRatio) > 0 {
		auction = (c.lastBase0AuctionID(n) / hotRounding) * hotRounding
	}
	bidder := c.nextBase0PersonID(rng, n)
	if rng.IntN(hotBiddersRatio) > 0 {
		bidder = (c.lastBase0PersonID(n)/hotRounding)*hotRounding + 1
	}
	b := &Bid{Auction: max(auction, 0) + firstAuctionID, Bidder: bidder + firstPersonID, Price: nextPrice(rng), DateTime: ts}
	t := channelsOf(c.Seed)
	if rng.IntN(2) > 0 {
		i := rng.IntN(len(hotChannels))
		b.Channel, b.URL = hotChannels[i], t.hotURLs[i]
	} else {
		i := rng.IntN(numChannels)
		b.Channel, b.URL = t.names[i], t.urls[i]
	}
	b.Extra = extra(rng, len(b.Channel)+len(b.URL)+32, c.AvgBidBytes)
	return b
}

// channelTable caches the channel names and urls of a seed: they depend only on the seed and
// the channel number, and building them per bid took a fifth of the generator's time.
type channelTable struct {
	names, urls [numChannels]string
	hotURLs     []string
}

var channelTables sync.Map // seed -> *channelTable

func channelsOf(seed int64) *channelTable {
	if t, ok := channelTables.Load(seed); ok {
		return t.(*channelTable)
	}
	c := Config{Seed: seed}
	t := &channelTable{hotURLs: make([]string, len(hotChannels))}
	for i := range numChannels {
		t.names[i], t.urls[i] = c.channel(i)
	}
	for i := range hotChannels {
		t.hotURLs[i] = baseURL(rand.New(rand.NewPCG(uint64(seed), uint64(i)+math.MaxUint32)))
	}
	actual, _ := channelTables.LoadOrStore(seed, t)
	return actual.(*channelTable)
}

// channel returns the name and url of channel i; they depend only on the seed and i.
func (c Config) channel(i int) (string, string) {
	rng := rand.New(rand.NewPCG(uint64(c.Seed)^0x9e3779b97f4a7c15, uint64(i)))
	url := baseURL(rng)
	if rng.IntN(10) > 0 {
		url += fmt.Sprintf("&channel_id=%d", reverseBits(uint32(i))&math.MaxInt32)
	}
	return fmt.Sprintf("channel-%d", i), url
}

func reverseBits(v uint32) uint32 {
	var r uint32
	for range 32 {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

func baseURL(rng *rand.Rand) string {
	return "https://www.nexmark.com/" + randomString(rng, 5) + "/" + randomString(rng, 5) + "/" +
		randomString(rng, 5) + "/item.htm?query=1"
}

// nextPrice is a price in cents, log-uniform between 1 and 1,000,000 dollars.
func nextPrice(rng *rand.Rand) int64 {
	return int64(math.Round(math.Pow(10, rng.Float64()*6) * 100))
}

func randomString(rng *rand.Rand, n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(byte('a' + rng.IntN(26)))
	}
	return b.String()
}

// extra pads an event to about avg bytes (within ±20%).
func extra(rng *rand.Rand, size, avg int) string {
	want := avg - size
	if want <= 0 {
		return ""
	}
	delta := want / 5
	if delta > 0 {
		want += rng.IntN(2*delta) - delta
	}
	return randomString(rng, want)
}
