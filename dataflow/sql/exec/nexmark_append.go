package exec

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowplane/flowplane/dataflow/connectors/nexmark"
)

// appendEvent appends the declared columns of ev to b without boxing its values (the source's
// hot loop: Event.Row and appendValue cost an allocation per value).
func (s *nexmarkSource) appendEvent(b *array.RecordBuilder, ev nexmark.Event) error {
	for j, i := range s.cols {
		f := b.Field(j)
		var err error
		switch ev.Kind {
		case nexmark.KindBid:
			err = appendBidField(f, ev.Bid, i)
		case nexmark.KindAuction:
			err = appendAuctionField(f, ev.Auction, i)
		default:
			err = appendPersonField(f, ev.Person, i)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func appendBidField(f array.Builder, b *nexmark.Bid, i int) error {
	switch i {
	case 0:
		return appendI64(f, b.Auction)
	case 1:
		return appendI64(f, b.Bidder)
	case 2:
		return appendI64(f, b.Price)
	case 3:
		return appendStr(f, b.Channel)
	case 4:
		return appendStr(f, b.URL)
	case 5:
		return appendTime(f, b.DateTime)
	}
	return appendStr(f, b.Extra)
}

func appendAuctionField(f array.Builder, a *nexmark.Auction, i int) error {
	switch i {
	case 0:
		return appendI64(f, a.ID)
	case 1:
		return appendStr(f, a.ItemName)
	case 2:
		return appendStr(f, a.Description)
	case 3:
		return appendI64(f, a.InitialBid)
	case 4:
		return appendI64(f, a.Reserve)
	case 5:
		return appendTime(f, a.DateTime)
	case 6:
		return appendTime(f, a.Expires)
	case 7:
		return appendI64(f, a.Seller)
	case 8:
		return appendI64(f, a.Category)
	}
	return appendStr(f, a.Extra)
}

func appendPersonField(f array.Builder, p *nexmark.Person, i int) error {
	switch i {
	case 0:
		return appendI64(f, p.ID)
	case 1:
		return appendStr(f, p.Name)
	case 2:
		return appendStr(f, p.EmailAddress)
	case 3:
		return appendStr(f, p.CreditCard)
	case 4:
		return appendStr(f, p.City)
	case 5:
		return appendStr(f, p.State)
	case 6:
		return appendTime(f, p.DateTime)
	}
	return appendStr(f, p.Extra)
}

func appendI64(f array.Builder, v int64) error {
	if b, ok := f.(*array.Int64Builder); ok {
		b.Append(v)
		return nil
	}
	return appendValue(f, v)
}

func appendStr(f array.Builder, v string) error {
	if b, ok := f.(*array.StringBuilder); ok {
		b.Append(v)
		return nil
	}
	return fmt.Errorf("exec: cannot write a string to a %s column", f.Type())
}

func appendTime(f array.Builder, t time.Time) error {
	if b, ok := f.(*array.TimestampBuilder); ok {
		b.Append(arrow.Timestamp(fromMillis(t.UnixMilli(), b.Type().(*arrow.TimestampType).Unit)))
		return nil
	}
	return appendValue(f, t.UnixMilli())
}
