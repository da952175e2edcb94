package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	fileHandlePrefix = "file:"
	metadataFile     = "_metadata.json"
	chkDirPrefix     = "chk-"
)

// FileStorage keeps checkpoints in a directory:
//
//	<dir>/<job>/chk-<id>/_metadata.json
//	<dir>/<job>/chk-<id>/<operator>/sub-<subtask>-kg-<start>-<end>
//
// with job and operator path-escaped. Every file is written to a temporary name, synced,
// renamed into place and its directory synced, so a crash leaves either the whole file or none.
type FileStorage struct {
	dir string
}

// NewFileStorage returns the storage in dir (absolute), creating it if needed.
func NewFileStorage(dir string) (*FileStorage, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("%w: checkpoint directory %q is not absolute", ErrUnsupportedLocation, dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("checkpoint directory: %w", err)
	}
	return &FileStorage{dir: filepath.Clean(dir)}, nil
}

// Location is the storage's file:// URL.
func (s *FileStorage) Location() string { return "file://" + s.dir }

func chkDir(job string, id uint64) string {
	return filepath.Join(url.PathEscape(job), fmt.Sprintf("%s%d", chkDirPrefix, id))
}

// PutState writes the blob atomically and returns a handle holding its relative path.
func (s *FileStorage) PutState(ctx context.Context, key StateKey, r io.Reader) (Handle, int64, error) {
	if err := key.Validate(); err != nil {
		return "", 0, err
	}
	rel := filepath.Join(chkDir(key.Job, key.Checkpoint), url.PathEscape(key.Operator),
		fmt.Sprintf("sub-%d-kg-%d-%d", key.Subtask, key.KeyGroups.Start, key.KeyGroups.End))
	n, err := s.writeAtomic(ctx, rel, r)
	if err != nil {
		return "", 0, fmt.Errorf("put state %s: %w", rel, err)
	}
	return Handle(fileHandlePrefix + filepath.ToSlash(rel)), n, nil
}

// writeAtomic writes r to dir/rel via a synced temporary file, then renames it into place and
// syncs the directory.
func (s *FileStorage) writeAtomic(ctx context.Context, rel string, r io.Reader) (int64, error) {
	path := filepath.Join(s.dir, rel)
	dir := filepath.Dir(path)
	if err := s.mkdirs(dir); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name()) // no-op after the rename
	n, err := forEachChunk(ctx, r, 1<<20, func(b []byte) error {
		_, err := f.Write(b)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	return n, err
}

// mkdirs creates dir and its missing parents below the storage directory, syncing each parent
// that gained an entry so the new directories survive a crash.
func (s *FileStorage) mkdirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != s.dir && len(parent) > len(s.dir) {
		if err := s.mkdirs(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o750); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// path resolves a handle to a file inside the storage directory.
func (s *FileStorage) path(h Handle) (string, error) {
	rel, ok := strings.CutPrefix(string(h), fileHandlePrefix)
	rel = filepath.FromSlash(rel)
	if !ok || rel == "" || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%w: %q", ErrInvalidHandle, h)
	}
	return filepath.Join(s.dir, rel), nil
}

// GetState reads a blob.
func (s *FileStorage) GetState(_ context.Context, h Handle) ([]byte, error) {
	p, err := s.path(h)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: state %s", ErrNotFound, h)
	}
	return b, err
}

// DeleteState removes a blob and then its directories if they became empty.
func (s *FileStorage) DeleteState(_ context.Context, h Handle) error {
	p, err := s.path(h)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete state %s: %w", h, err)
	}
	s.pruneDirs(filepath.Dir(p))
	return nil
}

// pruneDirs removes empty directories from dir up to (excluding) the job directory.
func (s *FileStorage) pruneDirs(dir string) {
	for {
		rel, err := filepath.Rel(s.dir, dir)
		if err != nil || strings.Count(filepath.ToSlash(rel), "/") < 1 {
			return
		}
		if os.Remove(dir) != nil { // not empty (or gone): stop
			return
		}
		dir = filepath.Dir(dir)
	}
}

// PutMetadata writes the metadata file atomically.
func (s *FileStorage) PutMetadata(ctx context.Context, md *Metadata) error {
	b, err := EncodeMetadata(md)
	if err != nil {
		return err
	}
	if err := validName("job", md.Job); err != nil {
		return err
	}
	_, err = s.writeAtomic(ctx, filepath.Join(chkDir(md.Job, md.ID), metadataFile), bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("put metadata %s/%d: %w", md.Job, md.ID, err)
	}
	return nil
}

// GetMetadata reads one metadata file.
func (s *FileStorage) GetMetadata(_ context.Context, job string, id uint64) (*Metadata, error) {
	if err := validName("job", job); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(s.dir, chkDir(job, id), metadataFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: checkpoint %s/%d", ErrNotFound, job, id)
	}
	if err != nil {
		return nil, err
	}
	return decodeFor(b, job, id)
}

// ListMetadata reads the metadata of every checkpoint directory of job that has one.
func (s *FileStorage) ListMetadata(ctx context.Context, job string) ([]*Metadata, error) {
	if err := validName("job", job); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, url.PathEscape(job)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), chkDirPrefix)
		if id, err := strconv.ParseUint(num, 10, 64); ok && err == nil && e.IsDir() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []*Metadata
	for _, id := range ids {
		md, err := s.GetMetadata(ctx, job, id)
		if errors.Is(err, ErrNotFound) {
			continue // a checkpoint whose metadata was never written
		}
		if err != nil {
			return nil, err
		}
		out = append(out, md)
	}
	return out, nil
}

// DeleteMetadata removes the metadata file and the checkpoint directory if it became empty.
func (s *FileStorage) DeleteMetadata(_ context.Context, job string, id uint64) error {
	if err := validName("job", job); err != nil {
		return err
	}
	p := filepath.Join(s.dir, chkDir(job, id), metadataFile)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete metadata %s/%d: %w", job, id, err)
	}
	s.pruneDirs(filepath.Dir(p))
	return nil
}

// ListStates walks the job's checkpoint directories; files left by interrupted writes count as
// blobs of their checkpoint, so SweepOrphans removes them too.
func (s *FileStorage) ListStates(_ context.Context, job string) ([]StateRef, error) {
	if err := validName("job", job); err != nil {
		return nil, err
	}
	jobDir := filepath.Join(s.dir, url.PathEscape(job))
	var out []StateRef
	err := filepath.WalkDir(jobDir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() || d.Name() == metadataFile {
			return err
		}
		rel, err := filepath.Rel(s.dir, path)
		if err != nil {
			return err
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) < 3 {
			return nil // not in a checkpoint directory
		}
		num, ok := strings.CutPrefix(parts[1], chkDirPrefix)
		id, perr := strconv.ParseUint(num, 10, 64)
		if !ok || perr != nil {
			return nil
		}
		out = append(out, StateRef{Handle: Handle(fileHandlePrefix + filepath.ToSlash(rel)), Checkpoint: id})
		return nil
	})
	return out, err
}
