package runtime

import "time"

// dispatch routes an inbox event: control events to the task, events of a blocked input (or
// of one with events still queued, to keep its order) to its queue, others to handle. A failed
// input fails the task at once.
func (r *runner) dispatch(ev *Event) error {
	if ev.Slot < 0 {
		return r.control(ev)
	}
	if ev.Kind != EventFailed && (r.blocked[ev.Slot] || len(r.queued[ev.Slot]) > 0) {
		r.queued[ev.Slot] = append(r.queued[ev.Slot], *ev)
		r.nQueued++
		return nil
	}
	return r.handle(ev)
}

// drain handles the queued events of unblocked inputs, in order, until none can proceed
// (an input blocks again at its next barrier).
func (r *runner) drain() error {
	for progress := true; progress && r.nQueued > 0; {
		progress = false
		for s := range r.queued {
			for len(r.queued[s]) > 0 && !r.blocked[s] {
				ev := r.queued[s][0]
				r.queued[s][0] = Event{}
				r.queued[s] = r.queued[s][1:]
				r.nQueued--
				progress = true
				if err := r.handle(&ev); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// onBarrier aligns barrier id from input slot: the input is blocked until every input has
// delivered the barrier (ended inputs count as aligned); then the task snapshots, forwards the
// barrier and unblocks its inputs. A newer barrier during an alignment abandons the older
// checkpoint (the coordinator aborted it); older and repeated barriers are ignored.
func (r *runner) onBarrier(slot int, id uint64) error {
	switch {
	case id <= r.lastBarrier || (r.aligning != 0 && id < r.aligning):
		return nil
	case r.aligning != 0 && id > r.aligning:
		r.t.log.Info("checkpoint alignment abandoned for a newer barrier", "checkpoint", r.aligning, "newer", id)
		r.unblock()
	}
	if r.aligning == 0 {
		r.aligning, r.alignStart = id, time.Now()
	}
	r.blocked[slot] = true
	if r.aligned() {
		return r.alignDone()
	}
	return nil
}

// aligned reports whether every input that has not ended delivered the current barrier.
func (r *runner) aligned() bool {
	for i, s := range r.slots {
		if !r.blocked[i] && !s.ended {
			return false
		}
	}
	return true
}

func (r *runner) alignDone() error {
	id, start := r.aligning, r.alignStart
	r.unblock()
	return r.snapshot(id, start)
}

func (r *runner) unblock() {
	r.aligning = 0
	clear(r.blocked)
}
