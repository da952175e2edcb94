package plans

// Plan is one entry of the catalogue.
type Plan struct {
	Name           string
	Slots          int
	MaxParallelism int
}

var catalogue = []Plan{
	{Name: "hobbyist", Slots: 2, MaxParallelism: 2},
	{Name: "startup", Slots: 8, MaxParallelism: 8},
	{Name: "business", Slots: 32, MaxParallelism: 32},
	{Name: "premium", Slots: 128, MaxParallelism: 128},
}

// All returns every plan, smallest first.
func All() []Plan { return append([]Plan(nil), catalogue...) }

// Get returns the plan called name.
func Get(name string) (Plan, bool) {
	for _, p := range catalogue {
		if p.Name == name {
			return p, true
		}
	}
	return Plan{}, false
}
