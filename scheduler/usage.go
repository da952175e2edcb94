package scheduler

// ServiceUsage is what a service's running jobs hold right now, as this replica's FSM knows it.
type ServiceUsage struct {
	// Workers is how many distinct workers (task managers) run a subtask of the service.
	Workers int
	// SlotsUsed is the slots the service's placed jobs hold (slot sharing: a job holds its
	// highest parallelism).
	SlotsUsed int
}

// ServiceUsage reports the task managers and slots the service's placed, live jobs hold.
func (s *Server) ServiceUsage(serviceID string) ServiceUsage {
	return s.fsm.ServiceUsage(serviceID)
}

// ServiceUsage computes a service's usage from the replica's jobs.
func (f *FSM) ServiceUsage(serviceID string) ServiceUsage {
	var u ServiceUsage
	workers := map[string]struct{}{}
	for _, j := range f.Jobs() {
		if j.Service != serviceID || j.Status.Terminal() || !j.Placed() {
			continue
		}
		u.SlotsUsed += j.Slots()
		for _, w := range j.Workers() {
			workers[w] = struct{}{}
		}
	}
	u.Workers = len(workers)
	return u
}
