package checkpoint

import (
	"errors"
	"testing"

	"github.com/flowplane/flowplane/dataflow/state"
)

func TestMetadataJSONRoundTrip(t *testing.T) {
	t.Parallel()
	md := meta("job", 5, KindSavepoint, StatusCompleted, "file:a", "file:b")
	b, err := EncodeMetadata(md)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 5 || got.Kind != KindSavepoint || len(got.Tasks) != 2 || got.Tasks[1].Handle != "file:b" || got.DurationMS != 1500 {
		t.Fatalf("decoded %+v", got)
	}
}

func TestDecodeMetadataRejects(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		``, `{}`, `[]`, `{"version":2,"job":"j","id":1,"kind":"checkpoint","status":"failed"}`,
		`{"version":1,"job":"j","id":1,"kind":"checkpoint","status":"failed","extra":1}`,
		`{"version":1,"job":"j","id":1,"kind":"nope","status":"failed"}`,
		`{"version":1,"job":"j","id":1,"kind":"checkpoint","status":"completed"}`,
		`{"version":1,"job":"j","id":1,"kind":"checkpoint","status":"failed","tasks":[{"operator":"o","subtask":3,"parallelism":2,"handle":"h"}]}`,
	} {
		if _, err := DecodeMetadata([]byte(in)); !errors.Is(err, ErrCorruptMetadata) {
			t.Fatalf("DecodeMetadata(%s) = %v, want ErrCorruptMetadata", in, err)
		}
	}
}

func TestRestoreSetForRescaling(t *testing.T) {
	t.Parallel()
	md := &Metadata{}
	for i := range 3 {
		rng, _ := state.RangeFor(128, 3, i)
		md.Tasks = append(md.Tasks, TaskState{Operator: "agg", Subtask: i, Parallelism: 3, KeyGroups: rng, Handle: Handle(rune('a' + i))})
	}
	md.Tasks = append(md.Tasks, TaskState{Operator: "src", Subtask: 0, Parallelism: 1, Handle: "s"})
	rng, _ := state.RangeFor(128, 2, 1) // [64,128) overlaps old subtasks 1 [43,86) and 2 [86,128)
	var got []Handle
	for _, ts := range md.RestoreSet("agg", rng) {
		got = append(got, ts.Handle)
	}
	if len(got) != 2 || got[0] != "b" || got[1] != "c" {
		t.Fatalf("RestoreSet = %v, want [b c]", got)
	}
}
