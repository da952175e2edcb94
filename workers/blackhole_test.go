package workers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
)

// TestMovesOnFromAServerThatStopsAnswering: the current server accepts requests but never
// answers (a partition that drops packets, a hung process). The agent's calls time out; it must
// take that as the server's failure and move on to the next server, for heartbeats (no
// self-fencing while another server answers) and for the blocking query under way (new tasks
// are seen long before the query's own deadline).
func TestMovesOnFromAServerThatStopsAnswering(t *testing.T) {
	t.Parallel()
	const lease = 2 * time.Second
	f := newFakeSched(t, lease)
	target, _ := url.Parse(f.URLs()[0])
	rp := httputil.NewSingleHostReverseProxy(target)
	var hang atomic.Bool
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client hanging up
			<-r.Context().Done()
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	// The default long-poll wait (30 s): the blocking query's deadline is far away.
	a := startAgent(t, Config{Servers: []string{front.URL, f.URLs()[1]}, JoinToken: f.join})
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	id := a.WorkerID()
	j1 := stallTask(t, a, "job1", 1)
	f.setTasks(id, j1)
	waitFor(t, "job1 running", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) })

	hang.Store(true)
	since := time.Now()
	waitFor(t, "heartbeats on the second server", func() bool { return f.countAt(1, "heartbeat", since) >= 2 })
	j2 := stallTask(t, a, "job2", 1)
	f.setTasks(id, j1, j2)
	assigned := time.Now()
	waitFor(t, "job2 running", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID, j2.ID) })
	if d := time.Since(assigned); d > 5*time.Second {
		t.Fatalf("job2 started %s after being assigned: the blocking query stayed on the silent server", d)
	}
	waitFor(t, "two leases after the server went silent", func() bool { return time.Since(since) > 2*lease })
	if a.tasks.isFenced() || !sameIDs(tasksIn(a, assign.TaskRunning), j1.ID, j2.ID) || a.WorkerID() != id {
		t.Fatalf("worker fenced, lost tasks or registered again while another server answered: %+v", a.Tasks())
	}
}
