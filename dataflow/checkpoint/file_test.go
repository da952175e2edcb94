package checkpoint

import (
	"context"
	"errors"
	"io/fs"
	"os"
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

func TestFileMetadataMustNameItsDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutMetadata(ctx, meta("job", 1, KindCheckpoint, StatusCompleted, "file:x")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.dir, "job", "chk-2"), 0o750); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(s.dir, "job", "chk-1", metadataFile))
	if err := os.WriteFile(filepath.Join(s.dir, "job", "chk-2", metadataFile), b, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetMetadata(ctx, "job", 2); !errors.Is(err, ErrCorruptMetadata) {
		t.Fatalf("GetMetadata of a copied file = %v, want ErrCorruptMetadata", err)
	}
}
