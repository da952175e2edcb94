package checkpoint

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRemoteStorageSendsAuthAndMapsErrors(t *testing.T) {
	t.Parallel()
	behind, err := NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	api := http.StripPrefix("/internal/v1/checkpoint-storage", NewHandler(behind))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer worker-token" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		api.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	base := srv.URL + "/internal/v1/checkpoint-storage"

	anon := NewRemoteStorage(base, srv.Client(), nil)
	if _, err := anon.GetMetadata(ctx, "job", 1); !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("unauthenticated call = %v, want ErrRemote with 401", err)
	}
	s := NewRemoteStorage(base, srv.Client(), func(r *http.Request) { r.Header.Set("Authorization", "Bearer worker-token") })
	h := put(t, s, key("job", 1, "op", 0), []byte("blob"))
	if got, err := behind.GetState(ctx, h); err != nil || string(got) != "blob" {
		t.Fatalf("blob behind the server = %q, %v", got, err)
	}
	if _, err := s.GetState(ctx, "file:nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing blob = %v, want ErrNotFound", err)
	}
	req, _ := http.NewRequest(http.MethodPut, base+"/metadata", strings.NewReader(`{"version":1}`))
	req.Header.Set("Authorization", "Bearer worker-token")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("corrupt metadata answered %d, want 400", resp.StatusCode)
	}
}
