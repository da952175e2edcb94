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

// ExchangeThroughput sends batches copies of rec from one exchange node to another over
// loopback TCP (one channel, default credits) and measures until the last one is decoded.
func ExchangeThroughput(rec arrow.RecordBatch, batches int) (Result, error) {
	n1, err := exchange.Listen(exchange.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		return Result{}, err
	}
	defer n1.Close()
	n2, err := exchange.Listen(exchange.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		return Result{}, err
	}
	defer n2.Close()
	ctx := context.Background()
	id := runtime.ChannelID{Job: "bench", Attempt: 1}
	token := exchange.AttemptToken([]byte("bench"), "bench", 1)
	inbox := runtime.NewInbox()
	r, err := n2.OpenReader(id, n1.Addr(), token, inbox, 0)
	if err != nil {
		return Result{}, err
	}
	defer r.Close()
	w, err := n1.OpenWriter(ctx, id, n2.Addr(), token)
	if err != nil {
		return Result{}, err
	}
	done := make(chan error, 1)
	go func() { done <- consume(ctx, inbox, r, batches) }()
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
	if err := <-done; err != nil {
		return Result{}, err
	}
	return Result{Bytes: total, Duration: time.Since(start)}, nil
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

// RawTCP copies total bytes in chunks of chunk bytes over one loopback TCP connection with
// plain net.Conn writes and reads: the baseline for ExchangeThroughput.
func RawTCP(total int64, chunk int) (Result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.CopyBuffer(io.Discard, io.LimitReader(c, total), make([]byte, 256<<10))
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
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
	if err := <-done; err != nil {
		return Result{}, fmt.Errorf("raw tcp reader: %w", err)
	}
	return Result{Bytes: total, Duration: time.Since(start)}, nil
}
