package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// ErrRemote is wrapped by errors of the remote storage server that are not one of the
// storage's own sentinels (an internal error, an unexpected answer).
var ErrRemote = errors.New("remote checkpoint storage")

// RemoteStorage is a Storage served by NewHandler on another process, typically the server
// holding PostgresStorage, so workers need neither a database connection nor a shared disk.
type RemoteStorage struct {
	base   string
	client *http.Client
	auth   func(*http.Request)
}

// NewRemoteStorage returns the storage served at base (the handler's mount point, e.g.
// "https://server:8081/internal/v1/checkpoint-storage"). auth, if not nil, decorates every
// request (e.g. sets the worker's bearer token).
func NewRemoteStorage(base string, client *http.Client, auth func(*http.Request)) *RemoteStorage {
	if client == nil {
		client = http.DefaultClient
	}
	return &RemoteStorage{base: base, client: client, auth: auth}
}

// Location is the base URL.
func (s *RemoteStorage) Location() string { return s.base }

// do sends a request and decodes a JSON answer into out (if not nil); error answers become the
// matching sentinel errors.
func (s *RemoteStorage) do(ctx context.Context, method, path string, q url.Values, body io.Reader, out any) error {
	resp, err := s.send(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadataBytes)).Decode(out); err != nil {
		return fmt.Errorf("%w: %s %s: decode answer: %w", ErrRemote, method, path, err)
	}
	return nil
}

func (s *RemoteStorage) send(ctx context.Context, method, path string, q url.Values, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path+"?"+q.Encode(), body)
	if err != nil {
		return nil, err
	}
	if s.auth != nil {
		s.auth(req)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrRemote, method, path, err)
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	var e wireError
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
	for _, c := range errorCodes {
		if e.Code == c.code {
			return nil, fmt.Errorf("%w: %s", c.err, e.Message)
		}
	}
	return nil, fmt.Errorf("%w: %s %s: %s: %s", ErrRemote, method, path, resp.Status, e.Message)
}

// PutState streams the blob to the server.
func (s *RemoteStorage) PutState(ctx context.Context, key StateKey, r io.Reader) (Handle, int64, error) {
	if err := key.Validate(); err != nil {
		return "", 0, err
	}
	q := url.Values{"job": {key.Job}, "checkpoint": {strconv.FormatUint(key.Checkpoint, 10)}, "operator": {key.Operator},
		"subtask": {strconv.Itoa(key.Subtask)}, "kg_start": {strconv.Itoa(key.KeyGroups.Start)}, "kg_end": {strconv.Itoa(key.KeyGroups.End)}}
	var ref stateRefJSON
	if err := s.do(ctx, http.MethodPut, "/states", q, r, &ref); err != nil {
		return "", 0, err
	}
	return ref.Handle, ref.Size, nil
}

// GetState downloads a blob.
func (s *RemoteStorage) GetState(ctx context.Context, h Handle) ([]byte, error) {
	resp, err := s.send(ctx, http.MethodGet, "/states", url.Values{"handle": {string(h)}}, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: get state %s: %w", ErrRemote, h, err)
	}
	return b, nil
}

// DeleteState deletes a blob.
func (s *RemoteStorage) DeleteState(ctx context.Context, h Handle) error {
	return s.do(ctx, http.MethodDelete, "/states", url.Values{"handle": {string(h)}}, nil, nil)
}

// ListStates lists a job's blobs.
func (s *RemoteStorage) ListStates(ctx context.Context, job string) ([]StateRef, error) {
	var refs []stateRefJSON
	if err := s.do(ctx, http.MethodGet, "/states/list", url.Values{"job": {job}}, nil, &refs); err != nil {
		return nil, err
	}
	out := make([]StateRef, len(refs))
	for i, r := range refs {
		out[i] = StateRef{Handle: r.Handle, Checkpoint: r.Checkpoint}
	}
	return out, nil
}

// PutMetadata uploads metadata; it is durable when the server answers.
func (s *RemoteStorage) PutMetadata(ctx context.Context, md *Metadata) error {
	b, err := EncodeMetadata(md)
	if err != nil {
		return err
	}
	return s.do(ctx, http.MethodPut, "/metadata", nil, bytes.NewReader(b), nil)
}

// GetMetadata downloads one checkpoint's metadata.
func (s *RemoteStorage) GetMetadata(ctx context.Context, job string, id uint64) (*Metadata, error) {
	resp, err := s.send(ctx, http.MethodGet, "/metadata", url.Values{"job": {job}, "id": {strconv.FormatUint(id, 10)}}, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: get metadata: %w", ErrRemote, err)
	}
	return decodeFor(bytes.TrimSpace(b), job, id)
}

// ListMetadata downloads every metadata of job, by ascending id.
func (s *RemoteStorage) ListMetadata(ctx context.Context, job string) ([]*Metadata, error) {
	var raw []json.RawMessage
	if err := s.do(ctx, http.MethodGet, "/metadata", url.Values{"job": {job}}, nil, &raw); err != nil {
		return nil, err
	}
	out := make([]*Metadata, 0, len(raw))
	for _, r := range raw {
		md, err := DecodeMetadata(r)
		if err != nil {
			return nil, err
		}
		out = append(out, md)
	}
	return out, nil
}

// DeleteMetadata deletes one checkpoint's metadata.
func (s *RemoteStorage) DeleteMetadata(ctx context.Context, job string, id uint64) error {
	return s.do(ctx, http.MethodDelete, "/metadata", url.Values{"job": {job}, "id": {strconv.FormatUint(id, 10)}}, nil, nil)
}
