package nexmark

import "math/rand/v2"

// Constants of the benchmark's generator.
const (
	firstPersonID       = 1000
	firstAuctionID      = 1000
	firstCategoryID     = 10
	numCategories       = 5
	personIDLead        = 10
	auctionIDLead       = 10
	numActivePeople     = 1000
	numInFlightAuctions = 100
	hotAuctionRatio     = 2 // 1 in 2 bids goes to a hot auction
	hotBiddersRatio     = 4
	hotSellersRatio     = 4
	hotRounding         = 100 // hot ids are rounded down to multiples of this
	numChannels         = 10000
)

// kindAt returns the kind of event n.
func (c Config) kindAt(n int64) Kind {
	off := n % c.total()
	switch {
	case off < int64(c.PersonProportion):
		return KindPerson
	case off < int64(c.PersonProportion+c.AuctionProportion):
		return KindAuction
	}
	return KindBid
}

// lastBase0PersonID is the 0-based id of the last person created at or before event n.
func (c Config) lastBase0PersonID(n int64) int64 {
	epoch, off := n/c.total(), n%c.total()
	if off >= int64(c.PersonProportion) {
		off = int64(c.PersonProportion) - 1
	}
	return epoch*int64(c.PersonProportion) + off
}

// lastBase0AuctionID is the 0-based id of the last auction created at or before event n.
func (c Config) lastBase0AuctionID(n int64) int64 {
	p, a := int64(c.PersonProportion), int64(c.AuctionProportion)
	epoch, off := n/c.total(), n%c.total()
	switch {
	case off < p:
		epoch--
		off = a - 1
	case off >= p+a:
		off = a - 1
	default:
		off -= p
	}
	return epoch*a + off
}

// nextBase0PersonID picks a recently active person (sometimes one not created yet, as in the
// benchmark, so joins see late arrivals).
func (c Config) nextBase0PersonID(rng *rand.Rand, n int64) int64 {
	numPeople := c.lastBase0PersonID(n) + 1
	active := min(numPeople, numActivePeople)
	return numPeople - active + rng.Int64N(active+personIDLead)
}

// nextBase0AuctionID picks one of the auctions in flight.
func (c Config) nextBase0AuctionID(rng *rand.Rand, n int64) int64 {
	maxID := c.lastBase0AuctionID(n)
	minID := max(maxID-numInFlightAuctions, 0)
	return minID + rng.Int64N(max(maxID-minID+1+auctionIDLead, 1))
}

// kindNumber maps the j-th event of kind k (0-based) to its event number.
func (c Config) kindNumber(k Kind, j int64) int64 {
	start, prop := 0, c.PersonProportion
	switch k {
	case KindAuction:
		start, prop = c.PersonProportion, c.AuctionProportion
	case KindBid:
		start, prop = c.PersonProportion+c.AuctionProportion, c.BidProportion
	}
	return (j/int64(prop))*c.total() + int64(start) + j%int64(prop)
}
