package checkpoint

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
)

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenLocations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open("file://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Location() != "file://"+dir {
		t.Fatalf("Location = %q", s.Location())
	}
	for _, loc := range []string{"file://relative/dir", "s3://bucket", ""} {
		if _, err := Open(loc); !errors.Is(err, ErrUnsupportedLocation) {
			t.Fatalf("Open(%q) = %v, want ErrUnsupportedLocation", loc, err)
		}
	}
}
