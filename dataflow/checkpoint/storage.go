package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/flowplane/flowplane/dataflow/state"
)

// Errors of checkpoint storage; implementations wrap them (match with errors.Is).
var (
	// ErrNotFound: no such state blob or metadata.
	ErrNotFound = errors.New("checkpoint object not found")
	// ErrInvalidHandle: a handle this storage did not issue or cannot parse.
	ErrInvalidHandle = errors.New("invalid state handle")
	// ErrInvalidKey: a job or operator name that cannot be stored.
	ErrInvalidKey = errors.New("invalid checkpoint key")
	// ErrUnsupportedLocation: a storage location this build cannot open.
	ErrUnsupportedLocation = errors.New("unsupported checkpoint storage location")
)

// Handle locates one state blob in the storage that issued it. It is opaque to everyone else.
type Handle string

// StateKey says whose state a blob is.
type StateKey struct {
	Job        string
	Checkpoint uint64
	Operator   string
	Subtask    int
	KeyGroups  state.KeyGroupRange
}

// Validate checks that k can be stored.
func (k StateKey) Validate() error {
	if err := validName("job", k.Job); err != nil {
		return err
	}
	if err := validName("operator", k.Operator); err != nil {
		return err
	}
	if k.Checkpoint == 0 || k.Subtask < 0 || k.KeyGroups.Start < 0 || k.KeyGroups.End < k.KeyGroups.Start {
		return fmt.Errorf("%w: checkpoint %d subtask %d key groups %s", ErrInvalidKey, k.Checkpoint, k.Subtask, k.KeyGroups)
	}
	return nil
}

func validName(what, s string) error {
	if s == "" || len(s) > 200 || s == "." || s == ".." || strings.ContainsAny(s, "\x00") {
		return fmt.Errorf("%w: %s %q", ErrInvalidKey, what, s)
	}
	return nil
}

// Storage keeps checkpoints' state blobs and metadata. Implementations are safe for concurrent
// use by many tasks and the coordinator.
type Storage interface {
	// Location names the storage in metadata and logs, e.g. "file:///var/lib/fp/checkpoints".
	Location() string
	// PutState stores the blob read from r until EOF and returns its handle and size. The blob
	// is durable when PutState returns; a failed PutState leaves nothing visible.
	PutState(ctx context.Context, key StateKey, r io.Reader) (Handle, int64, error)
	// GetState returns a blob's bytes, or an error wrapping ErrNotFound.
	GetState(ctx context.Context, h Handle) ([]byte, error)
	// DeleteState removes a blob; removing a missing blob is not an error.
	DeleteState(ctx context.Context, h Handle) error
	// PutMetadata stores (or replaces) the metadata of (md.Job, md.ID), durably on return.
	PutMetadata(ctx context.Context, md *Metadata) error
	// GetMetadata returns one checkpoint's metadata, or an error wrapping ErrNotFound.
	GetMetadata(ctx context.Context, job string, id uint64) (*Metadata, error)
	// ListMetadata returns the metadata of every checkpoint of job, by ascending id.
	ListMetadata(ctx context.Context, job string) ([]*Metadata, error)
	// DeleteMetadata removes one checkpoint's metadata; a missing one is not an error.
	DeleteMetadata(ctx context.Context, job string, id uint64) error
	// ListStates returns every state blob stored for job, whether or not metadata names it.
	ListStates(ctx context.Context, job string) ([]StateRef, error)
}

// StateRef is a stored blob and the checkpoint it was written for.
type StateRef struct {
	Handle     Handle
	Checkpoint uint64
}

// Open opens the storage at a location URL: file:///absolute/dir. PostgreSQL storage needs the
// server's pool and is made with NewPostgresStorage.
func Open(location string) (Storage, error) {
	if dir, ok := strings.CutPrefix(location, "file://"); ok {
		return NewFileStorage(dir)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedLocation, location)
}

// readChunk fills buf from r. It returns io.EOF (possibly with n > 0) once r is exhausted, and
// any other error as it is: a body cut short (io.ErrUnexpectedEOF from an aborted upload) is a
// failure, never the end of a blob.
func readChunk(ctx context.Context, r io.Reader, buf []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// forEachChunk reads r to its end in chunks of up to size bytes and passes each non-empty one
// to fn (the chunk is reused afterwards); it returns the bytes read. ctx is checked before each
// chunk, and a body cut short is an error (see readChunk).
func forEachChunk(ctx context.Context, r io.Reader, size int, fn func([]byte) error) (int64, error) {
	buf := make([]byte, size)
	var total int64
	for {
		n, err := readChunk(ctx, r, buf)
		if n > 0 {
			if ferr := fn(buf[:n]); ferr != nil {
				return total, ferr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
