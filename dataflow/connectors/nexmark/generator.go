package nexmark

import (
	"fmt"
	"math"
	"math/rand/v2"
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
	return c.eventWith(rand.New(rand.NewPCG(uint64(c.Seed), uint64(n))), tablesOf(c.Seed), n, nil), nil
}

// eventWith builds event n from rng, which must be seeded with (c.Seed, n). The event's
// record is written into reuse's storage when reuse is not nil, else newly allocated.
func (c Config) eventWith(rng *rand.Rand, t *seedTables, n int64, reuse *records) Event {
	ts := c.BaseTime.Add(time.Duration(n * c.interEventNanos())).Truncate(time.Millisecond)
	ev := Event{Number: n, Kind: c.kindAt(n)}
	if reuse == nil {
		reuse = &records{}
	}
	switch ev.Kind {
	case KindPerson:
		ev.Person = &reuse.person
		c.person(rng, t, n, ts, ev.Person)
	case KindAuction:
		ev.Auction = &reuse.auction
		c.auction(rng, t, n, ts, ev.Auction)
	default:
		ev.Bid = &reuse.bid
		c.bid(rng, t, n, ts, ev.Bid)
	}
	return ev
}

// records is storage for one event of each kind.
type records struct {
	person  Person
	auction Auction
	bid     Bid
}

func (c Config) person(rng *rand.Rand, t *seedTables, n int64, ts time.Time, p *Person) {
	*p = Person{
		ID:           c.lastBase0PersonID(n) + firstPersonID,
		Name:         firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))],
		EmailAddress: t.randomString(rng, 7) + "@" + t.randomString(rng, 5) + ".com",
		CreditCard:   fmt.Sprintf("%04d %04d %04d %04d", rng.IntN(10000), rng.IntN(10000), rng.IntN(10000), rng.IntN(10000)),
		City:         usCities[rng.IntN(len(usCities))],
		State:        usStates[rng.IntN(len(usStates))],
		DateTime:     ts,
	}
	p.Extra = t.extra(rng, len(p.Name)+len(p.EmailAddress)+len(p.CreditCard)+len(p.City)+len(p.State)+24, c.AvgPersonBytes)
}

func (c Config) auction(rng *rand.Rand, t *seedTables, n int64, ts time.Time, a *Auction) {
	seller := c.nextBase0PersonID(rng, n)
	if rng.IntN(hotSellersRatio) > 0 {
		seller = (c.lastBase0PersonID(n) / hotRounding) * hotRounding
	}
	*a = Auction{
		ID:          c.lastBase0AuctionID(n) + firstAuctionID,
		ItemName:    t.randomString(rng, 20),
		Description: t.randomString(rng, 100),
		InitialBid:  nextPrice(rng),
		DateTime:    ts,
		Seller:      seller + firstPersonID,
		Category:    firstCategoryID + int64(rng.IntN(numCategories)),
	}
	a.Reserve = a.InitialBid + nextPrice(rng)
	a.Expires = ts.Add(c.nextAuctionLength(rng))
	a.Extra = t.extra(rng, len(a.ItemName)+len(a.Description)+64, c.AvgAuctionBytes)
}

// nextAuctionLength spreads auction lengths so that about numInFlightAuctions are open.
func (c Config) nextAuctionLength(rng *rand.Rand) time.Duration {
	events := int64(numInFlightAuctions) * c.total() / int64(c.AuctionProportion)
	horizon := events * c.interEventNanos() / int64(time.Millisecond)
	return time.Duration(1+rng.Int64N(max(2*horizon, 1))) * time.Millisecond
}

func (c Config) bid(rng *rand.Rand, t *seedTables, n int64, ts time.Time, b *Bid) {
	auction := c.nextBase0AuctionID(rng, n)
	if rng.IntN(hotAuctionRatio) > 0 {
		auction = (c.lastBase0AuctionID(n) / hotRounding) * hotRounding
	}
	bidder := c.nextBase0PersonID(rng, n)
	if rng.IntN(hotBiddersRatio) > 0 {
		bidder = (c.lastBase0PersonID(n)/hotRounding)*hotRounding + 1
	}
	*b = Bid{Auction: max(auction, 0) + firstAuctionID, Bidder: bidder + firstPersonID, Price: nextPrice(rng), DateTime: ts}
	if rng.IntN(2) > 0 {
		i := rng.IntN(len(hotChannels))
		b.Channel, b.URL = hotChannels[i], t.hotURLs[i]
	} else {
		i := rng.IntN(numChannels)
		b.Channel, b.URL = t.names[i], t.urls[i]
	}
	b.Extra = t.extra(rng, len(b.Channel)+len(b.URL)+32, c.AvgBidBytes)
}

// seedTables caches what depends only on the seed: the channel names and urls (building them
// per bid took a fifth of the generator's time) and a block of random letters that random
// strings are cut from (drawing every letter took a third).
type seedTables struct {
	names, urls [numChannels]string
	hotURLs     []string
	letters     string
}

// letterPoolSize is the number of random letters per seed random strings are cut from.
const letterPoolSize = 1 << 18

var seedTableCache sync.Map // seed -> *seedTables

func tablesOf(seed int64) *seedTables {
	if t, ok := seedTableCache.Load(seed); ok {
		return t.(*seedTables)
	}
	c := Config{Seed: seed}
	t := &seedTables{hotURLs: make([]string, len(hotChannels))}
	for i := range numChannels {
		t.names[i], t.urls[i] = c.channel(i)
	}
	for i := range hotChannels {
		t.hotURLs[i] = baseURL(rand.New(rand.NewPCG(uint64(seed), uint64(i)+math.MaxUint32)))
	}
	t.letters = randomLetters(rand.New(rand.NewPCG(uint64(seed)^0x5851f42d4c957f2d, math.MaxUint64)), letterPoolSize)
	actual, _ := seedTableCache.LoadOrStore(seed, t)
	return actual.(*seedTables)
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
	return "https://www.nexmark.com/" + randomLetters(rng, 5) + "/" + randomLetters(rng, 5) + "/" +
		randomLetters(rng, 5) + "/item.htm?query=1"
}

// nextPrice is a price in cents, log-uniform between 1 and 1,000,000 dollars (10^x computed
// as e^(x ln 10), a fifth of math.Pow's cost).
func nextPrice(rng *rand.Rand) int64 {
	return int64(math.Round(math.Exp(rng.Float64()*6*math.Ln10) * 100))
}

// randomLetters draws n random lowercase letters.
func randomLetters(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	return string(b)
}

// randomString returns n random lowercase letters: a slice of the seed's letter pool at a
// random offset (no allocation), or fresh letters when n exceeds the pool.
func (t *seedTables) randomString(rng *rand.Rand, n int) string {
	if n > len(t.letters) {
		return randomLetters(rng, n)
	}
	off := rng.IntN(len(t.letters) - n + 1)
	return t.letters[off : off+n]
}

// extra pads an event to about avg bytes (within ±20%).
func (t *seedTables) extra(rng *rand.Rand, size, avg int) string {
	want := avg - size
	if want <= 0 {
		return ""
	}
	delta := want / 5
	if delta > 0 {
		want += rng.IntN(2*delta) - delta
	}
	return t.randomString(rng, want)
}
