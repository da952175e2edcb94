package api_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/flowplane/flowplane/openapi"
)

// TestConcurrentCreates: versions racing for the next number get distinct numbers, and of racing
// deployments of one application exactly one becomes active.
func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	const n = 6
	var wg sync.WaitGroup
	replies := make([]reply, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = e.do(t, "POST", w.appPath+"/versions", w.developer, simpleVersion)
		}()
	}
	wg.Wait()
	numbers := make([]int, n)
	for i, r := range replies {
		if r.status != 201 {
			t.Fatalf("version %d: %d %s", i, r.status, r.body)
		}
		var v openapi.ApplicationVersion
		r.decode(t, &v)
		numbers[i] = v.Number
	}
	sort.Ints(numbers)
	for i, got := range numbers {
		if got != i+2 { // the world made version 1
			t.Fatalf("version numbers = %v", numbers)
		}
	}
	e.setStatus(t, w.deploy, "CANCELED")
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.do(t, "POST", w.appPath+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":1}`, w.version)).status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case 201:
			created++
		case 409:
		default:
			t.Fatalf("statuses = %v", statuses)
		}
	}
	if created != 1 {
		t.Fatalf("%d deployments became active: %v", created, statuses)
	}
}
