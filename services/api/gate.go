package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// gate runs in front of every operation of the spec, in this order: find the operation,
// authenticate (unless the operation declares `security: []`), rate-limit per token, validate the
// request against the spec (unknown fields, types, enums, patterns, bounds; 400 naming the field),
// and replay or record creating POSTs that carry an Idempotency-Key.
type gate struct {
	s      *server
	router routers.Router
}

func newGate(s *server) (*gate, error) {
	spec, err := openapi.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load spec: %w", err)
	}
	spec.Servers = nil
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("spec router: %w", err)
	}
	return &gate{s: s, router: router}, nil
}

func (g *gate) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, params, err := g.router.FindRoute(r)
		if err != nil { // not an operation of the spec: chi answers 404/405 or serves the console
			next.ServeHTTP(w, r)
			return
		}
		if public := route.Operation.Security != nil && len(*route.Operation.Security) == 0; !public {
			p, err := g.authenticate(r)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="flowplane"`)
				g.s.fail(w, r, err)
				return
			}
			if err := g.s.cfg.Limiter.Allow(p.Token.ID); err != nil {
				g.s.fail(w, r, err)
				return
			}
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		}
		body, err := readBody(r)
		if err == nil {
			err = rejectNUL(body)
		}
		if err != nil {
			g.s.fail(w, r, err)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			g.s.fail(w, r, requestProblem(err))
			return
		}
		if err := decodeStrict(route.Operation.OperationID, body); err != nil {
			g.s.fail(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if key := r.Header.Get("Idempotency-Key"); key != "" && r.Method == http.MethodPost {
			g.idempotent(w, r, key, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (g *gate) authenticate(r *http.Request) (auth.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, raw, ok := strings.Cut(h, " ")
	if h == "" {
		return auth.Principal{}, problem.New(problem.CodeUnauthorized, "send a bearer token in the Authorization header")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return auth.Principal{}, problem.New(problem.CodeUnauthorized, "the Authorization header must be \"Bearer <token>\"")
	}
	if g.s.cfg.Tokens == nil {
		return auth.Principal{}, problem.New(problem.CodeUnavailable, "authentication is not configured on this server")
	}
	return g.s.cfg.Tokens.Verify(r.Context(), strings.TrimSpace(raw))
}

// requestProblem turns a kin-openapi validation error into a 400 (or 413) problem naming the field.
func requestProblem(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return problem.New(problem.CodeTooLarge, "request body is over the limit of %d bytes", tooBig.Limit)
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return &problem.Error{Code: problem.CodeInvalidRequest, Detail: "invalid request", Err: err}
	}
	field, msg := "", re.Reason
	if re.Parameter != nil {
		field = re.Parameter.Name
	}
	var se *openapi3.SchemaError
	var pe *openapi3filter.ParseError
	switch {
	case errors.As(re.Err, &se):
		if path := append(se.JSONPointer(), unknownProperty(se)...); len(path) > 0 && re.Parameter == nil {
			field = strings.Join(path, ".")
		}
		msg = se.Reason
	case errors.As(re.Err, &pe):
		msg = "malformed JSON: " + pe.Error()
		if re.Parameter != nil {
			msg = "malformed value: " + pe.Error()
		}
	case re.Err != nil && msg == "":
		msg = re.Err.Error()
	}
	if msg == "" {
		msg = "invalid request"
	}
	detail := msg
	if field != "" {
		detail = field + ": " + msg
	}
	return &problem.Error{Code: problem.CodeInvalidRequest, Detail: detail, Err: err,
		Fields: []problem.FieldError{{Field: field, Message: msg}}}
}

// readBody reads the whole body (within the size limit) and puts it back for the next reader.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, requestProblem(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// rejectNUL refuses JSON strings holding U+0000, which PostgreSQL cannot store in text.
func rejectNUL(body []byte) error {
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return nil
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil // malformed JSON is the validator's to report
	}
	if path, ok := findNUL(v, ""); ok {
		return &problem.Error{Code: problem.CodeInvalidRequest, Detail: path + ": the NUL character is not allowed",
			Fields: []problem.FieldError{{Field: path, Message: "the NUL character is not allowed"}}}
	}
	return nil
}

func findNUL(v any, path string) (string, bool) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case string:
		return path, strings.ContainsRune(x, 0)
	case []any:
		for i, e := range x {
			if p, ok := findNUL(e, join(strconv.Itoa(i))); ok {
				return p, true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) {
				return join(k), true
			}
			if p, ok := findNUL(e, join(k)); ok {
				return p, true
			}
		}
	}
	return "", false
}

// unknownProperty names the property an additionalProperties=false object rejected (kin-openapi
// reports the object's path only).
func unknownProperty(se *openapi3.SchemaError) []string {
	obj, ok := se.Value.(map[string]any)
	if !ok || se.SchemaField != "properties" || se.Schema == nil {
		return nil
	}
	for k := range obj {
		if _, known := se.Schema.Properties[k]; !known {
			return []string{k}
		}
	}
	return nil
}

// idempotent runs a creating POST once per (token, key): a retry with the same body replays the
// recorded answer, one with another body is a 422, one while the first still runs a 409.
func (g *gate) idempotent(w http.ResponseWriter, r *http.Request, key string, next http.Handler) {
	p, _ := auth.FromContext(r.Context())
	body, err := io.ReadAll(r.Body)
	if err != nil {
		g.s.fail(w, r, requestProblem(err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\x00", r.Method, r.URL.Path)
	h.Write(body)
	st := g.s.cfg.Store
	replay, err := st.ClaimIdempotencyKey(r.Context(), p.Token.ID, key, h.Sum(nil))
	if err != nil {
		g.s.fail(w, r, err)
		return
	}
	if replay != nil {
		for k, v := range replay.Headers {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", replay.ContentType)
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(replay.Status)
		_, _ = w.Write(replay.Body)
		return
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	next.ServeHTTP(rec, r)
	var keep *store.Replay
	if rec.status < 500 {
		keep = &store.Replay{Status: rec.status, ContentType: rec.header.Get("Content-Type"), Body: rec.body.Bytes(),
			Headers: http.Header{"Etag": rec.header.Values("Etag")}}
	}
	// Record even if the client went away, so its retry finds the answer.
	if err := st.CompleteIdempotencyKey(context.WithoutCancel(r.Context()), p.Token.ID, key, keep); err != nil {
		g.s.log.ErrorContext(r.Context(), "record idempotent answer", "request_id", middleware.GetReqID(r.Context()), "err", err)
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

// recorder buffers a response so it can be stored before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
