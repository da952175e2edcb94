package checkpoint

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/flowplane/flowplane/dataflow/state"
)

// maxMetadataBytes bounds a metadata request body.
const maxMetadataBytes = 16 << 20

// NewHandler serves a Storage over HTTP to RemoteStorage clients: workers without a database
// connection or shared disk store their state through the server that holds PostgresStorage.
// Mount it under a prefix (e.g. with http.StripPrefix) behind the internal listener's worker
// authentication; it trusts every caller with every job. Blobs are streamed, never buffered.
//
//	PUT    /states?job=&checkpoint=&operator=&subtask=&kg_start=&kg_end=   body: blob -> {"handle","size"}
//	GET    /states?handle=                                                  -> blob
//	DELETE /states?handle=
//	GET    /states/list?job=                                                -> [{"handle","checkpoint"}]
//	PUT    /metadata                                                        body: Metadata JSON
//	GET    /metadata?job=&id=                                               -> Metadata JSON
//	GET    /metadata?job=                                                   -> [Metadata JSON]
//	DELETE /metadata?job=&id=
//
// Errors are JSON {"code","message"} with code not_found, invalid_handle, invalid_key,
// corrupt_metadata or internal.
func NewHandler(s Storage) http.Handler {
	h := &handler{s: s}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /states", h.putState)
	mux.HandleFunc("GET /states", h.getState)
	mux.HandleFunc("DELETE /states", h.deleteState)
	mux.HandleFunc("GET /states/list", h.listStates)
	mux.HandleFunc("PUT /metadata", h.putMetadata)
	mux.HandleFunc("GET /metadata", h.getMetadata)
	mux.HandleFunc("DELETE /metadata", h.deleteMetadata)
	return mux
}

type handler struct{ s Storage }

// wireError is the JSON body of an error answer.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

var errorCodes = []struct {
	err    error
	code   string
	status int
}{
	{ErrNotFound, "not_found", http.StatusNotFound},
	{ErrInvalidHandle, "invalid_handle", http.StatusBadRequest},
	{ErrInvalidKey, "invalid_key", http.StatusBadRequest},
	{ErrCorruptMetadata, "corrupt_metadata", http.StatusBadRequest},
}

func writeError(w http.ResponseWriter, err error) {
	e, status := wireError{Code: "internal", Message: err.Error()}, http.StatusInternalServerError
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			e.Code, status = c.code, c.status
			break
		}
	}
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *handler) putState(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	num := func(name string) (int64, bool) {
		v, err := strconv.ParseInt(q.Get(name), 10, 64)
		return v, err == nil
	}
	chk, ok1 := num("checkpoint")
	sub, ok2 := num("subtask")
	kgs, ok3 := num("kg_start")
	kge, ok4 := num("kg_end")
	if !ok1 || !ok2 || !ok3 || !ok4 || chk < 0 {
		writeError(w, ErrInvalidKey)
		return
	}
	key := StateKey{Job: q.Get("job"), Checkpoint: uint64(chk), Operator: q.Get("operator"), Subtask: int(sub),
		KeyGroups: state.KeyGroupRange{Start: int(kgs), End: int(kge)}}
	handle, n, err := h.s.PutState(r.Context(), key, r.Body)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, stateRefJSON{Handle: handle, Size: n})
}

type stateRefJSON struct {
	Handle     Handle `json:"handle"`
	Size       int64  `json:"size,omitempty"`
	Checkpoint uint64 `json:"checkpoint,omitempty"`
}

func (h *handler) getState(w http.ResponseWriter, r *http.Request) {
	b, err := h.s.GetState(r.Context(), Handle(r.URL.Query().Get("handle")))
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (h *handler) deleteState(w http.ResponseWriter, r *http.Request) {
	if err := h.s.DeleteState(r.Context(), Handle(r.URL.Query().Get("handle"))); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) listStates(w http.ResponseWriter, r *http.Request) {
	refs, err := h.s.ListStates(r.Context(), r.URL.Query().Get("job"))
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]stateRefJSON, len(refs))
	for i, ref := range refs {
		out[i] = stateRefJSON{Handle: ref.Handle, Checkpoint: ref.Checkpoint}
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) putMetadata(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMetadataBytes))
	if err != nil {
		writeError(w, errors.Join(ErrCorruptMetadata, err))
		return
	}
	md, err := DecodeMetadata(b)
	if err == nil {
		err = h.s.PutMetadata(r.Context(), md)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) getMetadata(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("id") {
		all, err := h.s.ListMetadata(r.Context(), q.Get("job"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, append([]*Metadata{}, all...))
		return
	}
	id, err := strconv.ParseUint(q.Get("id"), 10, 64)
	if err != nil {
		writeError(w, ErrInvalidKey)
		return
	}
	md, err := h.s.GetMetadata(r.Context(), q.Get("job"), id)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, md)
}

func (h *handler) deleteMetadata(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.URL.Query().Get("id"), 10, 64)
	if err == nil {
		err = h.s.DeleteMetadata(r.Context(), r.URL.Query().Get("job"), id)
	} else {
		err = ErrInvalidKey
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
