package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/flowplane/flowplane/workers"
)

// devWorkerSlots is the number of slots of each `flowplane dev` worker.
const devWorkerSlots = 4

// devWorkers is the number of workers `flowplane dev` runs in process (DESIGN §1).
const devWorkers = 2

// startDevWorkers runs n workers in this process against serverURL (the server's internal
// listener, e.g. http://127.0.0.1:8081) with the given join token; their data exchange listens
// on loopback ports. base gives their connector settings (Egress, FileRoot, Print). stop stops
// their tasks and waits for them.
func startDevWorkers(ctx context.Context, serverURL, joinToken string, n int, base workers.Config, log *slog.Logger) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	var agents []*workers.Agent
	for i := range n {
		a, err := workers.New(workers.Config{
			Servers: []string{serverURL}, Slots: devWorkerSlots, DataAddr: "127.0.0.1:0", JoinToken: joinToken,
			Name: fmt.Sprintf("dev-worker-%d", i+1), Logger: log.With("component", "worker"),
			Egress: base.Egress, FileRoot: base.FileRoot, Print: base.Print, Wait: base.Wait,
		})
		if err != nil {
			cancel()
			for _, a := range agents {
				_ = a.Close()
			}
			return nil, err
		}
		agents = append(agents, a)
	}
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = a.Run(ctx)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}, nil
}
