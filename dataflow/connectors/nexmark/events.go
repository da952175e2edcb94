package nexmark

import (
	"time"

	"github.com/flowplane/flowplane/dataflow"
)

// Kind is the type of an event.
type Kind int

// The three event kinds, in the order of the mix.
const (
	KindPerson Kind = iota
	KindAuction
	KindBid
)

func (k Kind) String() string {
	return [...]string{"person", "auction", "bid"}[k]
}

// ParseKind maps a stream name ('person', 'auction', 'bid') to its kind.
func ParseKind(s string) (Kind, bool) {
	switch s {
	case "person":
		return KindPerson, true
	case "auction":
		return KindAuction, true
	case "bid":
		return KindBid, true
	}
	return 0, false
}

// Person is a new person registering.
type Person struct {
	ID           int64
	Name         string
	EmailAddress string
	CreditCard   string
	City         string
	State        string
	DateTime     time.Time
	Extra        string
}

// Auction is a new item put up for auction.
type Auction struct {
	ID          int64
	ItemName    string
	Description string
	InitialBid  int64
	Reserve     int64
	DateTime    time.Time
	Expires     time.Time
	Seller      int64
	Category    int64
	Extra       string
}

// Bid is a bid on an auction.
type Bid struct {
	Auction  int64
	Bidder   int64
	Price    int64
	Channel  string
	URL      string
	DateTime time.Time
	Extra    string
}

// Event is one generated event: exactly one of Person, Auction and Bid is set.
type Event struct {
	Number  int64
	Kind    Kind
	Person  *Person
	Auction *Auction
	Bid     *Bid
}

// Time is the event's timestamp.
func (e Event) Time() time.Time {
	switch e.Kind {
	case KindPerson:
		return e.Person.DateTime
	case KindAuction:
		return e.Auction.DateTime
	}
	return e.Bid.DateTime
}

// Row returns the event's values in the column order of Fields(e.Kind): int64, string and
// time.Time values.
func (e Event) Row() []any {
	switch e.Kind {
	case KindPerson:
		p := e.Person
		return []any{p.ID, p.Name, p.EmailAddress, p.CreditCard, p.City, p.State, p.DateTime, p.Extra}
	case KindAuction:
		a := e.Auction
		return []any{a.ID, a.ItemName, a.Description, a.InitialBid, a.Reserve, a.DateTime, a.Expires, a.Seller, a.Category, a.Extra}
	}
	b := e.Bid
	return []any{b.Auction, b.Bidder, b.Price, b.Channel, b.URL, b.DateTime, b.Extra}
}

// Fields returns the columns of a stream's table, as declared in the benchmark's DDL.
func Fields(k Kind) []dataflow.Field {
	ts := dataflow.Timestamp(3)
	col := dataflow.Col
	switch k {
	case KindPerson:
		return []dataflow.Field{col("id", dataflow.BigInt), col("name", dataflow.String),
			col("emailAddress", dataflow.String), col("creditCard", dataflow.String), col("city", dataflow.String),
			col("state", dataflow.String), col("dateTime", ts), col("extra", dataflow.String)}
	case KindAuction:
		return []dataflow.Field{col("id", dataflow.BigInt), col("itemName", dataflow.String),
			col("description", dataflow.String), col("initialBid", dataflow.BigInt), col("reserve", dataflow.BigInt),
			col("dateTime", ts), col("expires", ts), col("seller", dataflow.BigInt), col("category", dataflow.BigInt),
			col("extra", dataflow.String)}
	}
	return []dataflow.Field{col("auction", dataflow.BigInt), col("bidder", dataflow.BigInt),
		col("price", dataflow.BigInt), col("channel", dataflow.String), col("url", dataflow.String),
		col("dateTime", ts), col("extra", dataflow.String)}
}
