package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/runtime"
	"github.com/flowplane/flowplane/workers/exchange"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Batch returns a sequence batch of the given rows and width (BIGINT columns).
func Batch(rows, width int) (arrow.RecordBatch, error) {
	reg := operator.NewRegistry()
	if err := operator.RegisterBuiltins(reg, nil); err != nil {
		return nil, err
	}
	var rec arrow.RecordBatch
	op, err := reg.Open(operator.KindSequence, operator.SequenceConfig{Rows: int64(rows), BatchSize: rows, Width: width},
		&operator.Context{Allocator: memory.DefaultAllocator, Parallelism: 1})
	if err != nil {
		return nil, err
	}
	err = op.(operator.Source).Poll(context.Background(), emitFunc(func(r arrow.RecordBatch) { r.Retain(); rec = r }))
	return rec, err
}

type emitFunc func(arrow.RecordBatch)

func (f emitFunc) Emit(r arrow.RecordBatch) error { f(r); return nil }
func (f emitFunc) EmitWatermark(int64) error      { return nil }

// Result is a measured transfer.
type Result struct {
	Bytes    int64
	Duration time.Duration
}

// MBps returns the throughput in MB/s (10^6 bytes).
func (r Result) MBps() float64 { return float64(r.Bytes) / r.Duration.Seconds() / 1e6 }

var (
	benchChan  = runtime.ChannelID{Job: "bench", Attempt: 1}
	benchToken = exchange.AttemptToken([]byte("bench"), "bench", 1)
)

// ReceiveExchange runs a receiving exchange node: it calls announce with the node's address,
// decodes and releases batches batches from one channel, and returns when all arrived.
func ReceiveExchange(batches int, announce func(addr string)) error {
	n, err := exchange.Listen(exchange.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		return err
	}
	defer n.Close()
	inbox := runtime.NewInbox()
	// The producer's address only has to differ from ours: it marks the channel as remote.
	r, err := n.OpenReader(benchChan, "sender", benchToken, inbox, 0)
	if err != nil {
		return err
	}
	defer r.Close()
	announce(n.Addr())
	return consume(context.Background(), inbox, r, batches)
}

// SendExchange sends batches copies of rec to the receiving node at addr and returns once done
// (which waits for the receiver to report completion) returns.
func SendExchange(addr string, rec arrow.RecordBatch, batches int, done func() error) (Result, error) {
	n, err := exchange.Listen(exchange.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		return Result{}, err
	}
	defer n.Close()
	ctx := context.Background()
	w, err := n.OpenWriter(ctx, benchChan, addr, benchToken)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	var total int64
	for range batches {
		if err := w.AwaitCredit(ctx); err != nil {
			return Result{}, err
		}
		n, err := w.WriteBatch(ctx, rec)
		if err != nil {
			return Result{}, err
		}
		total += n
	}
	if err := w.Close(ctx); err != nil {
		return Result{}, err
	}
	if err := done(); err != nil {
		return Result{}, err
	}
	return Result{Bytes: total, Duration: time.Since(start)}, nil
}

// ExchangeThroughput sends batches copies of rec between two exchange nodes of this process
// over loopback TCP (one channel, default credits) until the last one is decoded.
func ExchangeThroughput(rec arrow.RecordBatch, batches int) (Result, error) {
	addrc, errc := make(chan string, 1), make(chan error, 1)
	go func() { errc <- ReceiveExchange(batches, func(a string) { addrc <- a }) }()
	select {
	case addr := <-addrc:
		return SendExchange(addr, rec, batches, func() error { return <-errc })
	case err := <-errc:
		return Result{}, err
	}
}

func consume(ctx context.Context, inbox *runtime.Inbox, r runtime.ChannelReader, batches int) error {
	var buf []runtime.Event
	got := 0
	for got < batches {
		var err error
		if buf, err = inbox.Wait(ctx, buf[:0], time.Second); err != nil {
			return err
		}
		for _, ev := range buf {
			switch ev.Kind {
			case runtime.EventData:
				rec, err := r.Decode(&ev)
				if err != nil {
					return err
				}
				rec.Release()
				r.Ack(1)
				got++
			case runtime.EventFailed:
				return ev.Err
			}
		}
	}
	return nil
}

// ReceiveRaw accepts one TCP connection, reads total bytes with plain reads and returns.
func ReceiveRaw(total int64, announce func(addr string)) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	announce(ln.Addr().String())
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	// Plain reads into a 256 KiB buffer (io.Copy to io.Discard would read 8 KiB at a time).
	buf := make([]byte, 256<<10)
	for read := int64(0); read < total; {
		n, err := c.Read(buf[:min(int64(len(buf)), total-read)])
		read += int64(n)
		if err != nil && read < total {
			return err
		}
	}
	return nil
}

// SendRaw writes total bytes in chunks of chunk bytes to addr with plain writes: the baseline
// of SendExchange.
func SendRaw(addr string, total int64, chunk int, done func() error) (Result, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	data := make([]byte, chunk)
	start := time.Now()
	for sent := int64(0); sent < total; sent += int64(chunk) {
		n := min(int64(chunk), total-sent)
		if _, err := c.Write(data[:n]); err != nil {
			return Result{}, err
		}
	}
	if err := done(); err != nil {
		return Result{}, fmt.Errorf("raw tcp receiver: %w", err)
	}
	return Result{Bytes: total, Duration: time.Since(start)}, nil
}

// RawTCP copies total bytes in chunks over one loopback TCP connection within this process.
func RawTCP(total int64, chunk int) (Result, error) {
	addrc, errc := make(chan string, 1), make(chan error, 1)
	go func() { errc <- ReceiveRaw(total, func(a string) { addrc <- a }) }()
	select {
	case addr := <-addrc:
		return SendRaw(addr, total, chunk, func() error { return <-errc })
	case err := <-errc:
		return Result{}, err
	}
}
