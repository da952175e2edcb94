package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/workers"
)

// devStack is `flowplane dev` in process on a pgtest database: the API and a one-node scheduler
// (real Raft, real HTTP) and two worker agents whose connectors dial under workerEgress.
type devStack struct {
	url, token string
	pool       *pgxpool.Pool
	cp         controlPlane
	logs       *syncBuffer // every log line of the server and the workers, debug level
	joinToken  string
	files      string // the workers' FileRoot
}

// testPassword is the integrations' password: Postgres trusts the test's connections, so it is
// never checked, and it must never show up in a log line or an API answer.
const testPassword = "s3cret-pw-never-shown"

func startDevStack(t *testing.T, workerEgress egress.Policy) *devStack {
	t.Helper()
	st := &devStack{pool: pgtest.NewPool(t), logs: &syncBuffer{}, files: t.TempDir()}
	log := slog.New(slog.NewTextHandler(st.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var c serverConfig
	cmd := &cobra.Command{}
	addServerFlags(cmd, &c, "text")
	addSQLFlags(cmd, &c, "loopback") // the server accepts loopback integrations, as dev does
	if err := cmd.Flags().Parse([]string{"--http", "127.0.0.1:0", "--lease", "2s", "--rate-limit", "0",
		"--database-url", st.pool.Config().ConnString()}); err != nil {
		t.Fatal(err)
	}
	cleanup, err := devScheduler(&c.sched)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.Parse(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if st.cp, err = openControlPlane(ctx, c, st.pool, sealer); err != nil {
		t.Fatal(err)
	}
	admin, err := devAdmin(ctx, st.cp)
	if err != nil {
		t.Fatal(err)
	}
	st.token, st.joinToken = admin.token, c.sched.joinToken
	urls := make(chan string, 1)
	stopWorkers := func() {}
	done := make(chan error, 1)
	go func() {
		done <- runAPI(ctx, c, log, st.pool, st.cp, func(url string) {
			base := workers.Config{Egress: workerEgress, FileRoot: st.files, Wait: 2 * time.Second}
			stop, err := startDevWorkers(ctx, url, c.sched.joinToken, devWorkers, base, log)
			if err != nil {
				t.Error(err)
			} else {
				stopWorkers = stop
			}
			urls <- url
		})
	}()
	t.Cleanup(func() {
		cancel()
		stopWorkers()
		if err := <-done; err != nil {
			t.Errorf("runAPI: %v", err)
		}
	})
	select {
	case st.url = <-urls:
	case err := <-done:
		t.Fatalf("runAPI: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the stack did not start")
	}
	return st
}

// call does one API request with the admin token; out (when non-nil) receives a 2xx answer.
func (st *devStack) call(t *testing.T, method, path string, want int, body string, out any) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, st.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+st.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
	return raw
}

// service creates a project with a service and a postgres integration "pg" pointing at the
// test's own database on 127.0.0.1; it returns the service's path and the integration id.
func (st *devStack) service(t *testing.T, project string) (string, string) {
	t.Helper()
	st.call(t, "POST", "/v1/projects", 201, fmt.Sprintf(`{"name":%q}`, project), nil)
	st.call(t, "POST", "/v1/projects/"+project+"/services", 201, `{"name":"svc","plan":"startup"}`, nil)
	base := "/v1/projects/" + project + "/services/svc"
	cc := st.pool.Config().ConnConfig
	var in struct {
		ID string `json:"id"`
	}
	st.call(t, "POST", base+"/integrations", 201, fmt.Sprintf(`{"name":"pg","type":"postgres","postgres":{"host":"127.0.0.1","port":%d,
		"database":%q,"user":%q,"password":%q,"sslmode":"disable"}}`, cc.Port, cc.Database, cc.User, testPassword), &in)
	return base, in.ID
}

// deploy creates an application with one version and deploys it (no restarts).
func (st *devStack) deploy(t *testing.T, base, version string, parallelism int) string {
	t.Helper()
	var obj struct {
		ID string `json:"id"`
	}
	st.call(t, "POST", base+"/applications", 201, `{"name":"app"}`, &obj)
	app := base + "/applications/" + obj.ID
	st.call(t, "POST", app+"/versions", 201, version, &obj)
	st.call(t, "POST", app+"/deployments", 201, fmt.Sprintf(`{"version_id":%q,"parallelism":%d,"restart_strategy":{"type":"none"}}`,
		obj.ID, parallelism), &obj)
	return app + "/deployments/" + obj.ID
}

// waitStatus waits until the deployment reaches one of the terminal statuses and returns it.
func (st *devStack) waitStatus(t *testing.T, dep string) string {
	t.Helper()
	var d struct {
		Status string `json:"status"`
	}
	waitFor(t, "the deployment to end", 60*time.Second, func() bool {
		st.call(t, "GET", dep, 200, "", &d)
		return d.Status == "FINISHED" || d.Status == "FAILED" || d.Status == "CANCELED"
	})
	return d.Status
}

func (st *devStack) events(t *testing.T, dep string) []string {
	t.Helper()
	var list struct {
		Items []struct {
			Message string `json:"message"`
		} `json:"items"`
	}
	st.call(t, "GET", dep+"/events", 200, "", &list)
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Message)
	}
	return out
}

func (st *devStack) exec(t *testing.T, sql string) {
	t.Helper()
	if _, err := st.pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// ordersVersion reads table orders through the integration (by integration_id) and upserts
// per-customer totals into table totals through the same integration (named by its name); it
// also archives the big orders as csv files in the workers' storage directory.
const ordersVersion = `{"statement":"INSERT INTO totals SELECT customer, SUM(amount), COUNT(*) FROM orders GROUP BY customer; INSERT INTO archive SELECT id, customer FROM orders WHERE amount > 3000",
 "sources":[{"create_table":"CREATE TABLE orders (id BIGINT, customer STRING, amount BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'orders', 'scan.partition.column' = 'id')","integration_id":%q}],
 "sinks":[{"create_table":"CREATE TABLE totals (customer STRING, total BIGINT, n BIGINT, PRIMARY KEY (customer) NOT ENFORCED) WITH ('connector' = 'postgres', 'table-name' = 'totals', 'integration' = 'pg')"},
  {"create_table":"CREATE TABLE archive (id BIGINT, customer STRING) WITH ('connector' = 'filesystem', 'path' = '/archive', 'format' = 'csv')"}]}`

// TestDeploymentUsesPostgresIntegration: a deployment whose SQL reads from and writes to
// PostgreSQL through a service integration runs on dev workers (egress: loopback) and produces
// the right rows; the integration's password shows up in no log line and no API answer.
func TestDeploymentUsesPostgresIntegration(t *testing.T) {
	t.Parallel()
	st := startDevStack(t, egress.Policy{AllowLoopback: true})
	st.exec(t, `CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount bigint NOT NULL)`)
	st.exec(t, `INSERT INTO orders SELECT i, 'c' || (i % 7), i * 3 FROM generate_series(1, 5000) i`)
	st.exec(t, `CREATE TABLE totals (customer text PRIMARY KEY, total bigint, n bigint)`)
	base, integ := st.service(t, "shop")
	dep := st.deploy(t, base, fmt.Sprintf(ordersVersion, integ), 2)
	if status := st.waitStatus(t, dep); status != "FINISHED" {
		t.Fatalf("deployment %s; events %q", status, st.events(t, dep))
	}
	var mismatches int
	err := st.pool.QueryRow(context.Background(), `SELECT count(*) FROM (
		(SELECT customer, sum(amount)::bigint, count(*) FROM orders GROUP BY customer EXCEPT SELECT customer, total, n FROM totals)
		UNION ALL (SELECT customer, total, n FROM totals EXCEPT SELECT customer, sum(amount)::bigint, count(*) FROM orders GROUP BY customer)) d`).Scan(&mismatches)
	if err != nil || mismatches != 0 {
		t.Fatalf("totals differ from PostgreSQL's own GROUP BY in %d rows (%v)", mismatches, err)
	}
	var rows int
	_ = st.pool.QueryRow(context.Background(), `SELECT count(*) FROM totals`).Scan(&rows)
	if rows != 7 {
		t.Fatalf("totals has %d rows, want 7", rows)
	}
	// 4000 orders (1001..5000) have amount > 3000: one csv line each, in visible part files.
	var lines int
	err = filepath.WalkDir(filepath.Join(st.files, "archive"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		raw, err := os.ReadFile(path)
		lines += bytes.Count(raw, []byte("\n"))
		return err
	})
	if err != nil || lines != 4000 {
		t.Fatalf("the filesystem sink wrote %d lines under the file root (%v), want 4000", lines, err)
	}
	seen := string(st.call(t, "GET", dep+"/job", 200, "", nil)) + strings.Join(st.events(t, dep), "\n") +
		string(st.call(t, "GET", base+"/integrations/"+integ, 200, "", nil))
	if strings.Contains(seen, testPassword) || strings.Contains(st.logs.String(), testPassword) {
		t.Fatal("the integration's password leaked into an API answer or a log line")
	}
	if !strings.Contains(st.logs.String(), "integration handed to worker") {
		t.Fatal("the workers did not resolve the integration through the server")
	}
}

// TestWorkerWithoutEgressRefusesLoopback: workers without the loopback allowance refuse the
// integration's 127.0.0.1 endpoint, and the task failure says why in the deployment's events.
func TestWorkerWithoutEgressRefusesLoopback(t *testing.T) {
	t.Parallel()
	st := startDevStack(t, egress.Policy{})
	st.exec(t, `CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount bigint NOT NULL)`)
	st.exec(t, `CREATE TABLE totals (customer text PRIMARY KEY, total bigint, n bigint)`)
	base, integ := st.service(t, "shop")
	dep := st.deploy(t, base, fmt.Sprintf(ordersVersion, integ), 1)
	if status := st.waitStatus(t, dep); status != "FAILED" {
		t.Fatalf("deployment %s, want FAILED; events %q", status, st.events(t, dep))
	}
	events := strings.Join(st.events(t, dep), "\n")
	if !strings.Contains(events, "127.0.0.1 is a loopback address") || !strings.Contains(events, "not allowed") {
		t.Fatalf("events do not say the endpoint was refused:\n%s", events)
	}
	if strings.Contains(events, testPassword) || strings.Contains(st.logs.String(), testPassword) {
		t.Fatal("the integration's password leaked")
	}
}

// TestIntegrationOnlyForTheJobsWorkers: over the real internal API and store, a worker that runs
// no task of a job gets 404 for the job's integration, and the resolver never opens another
// project's (or service's) integration.
func TestIntegrationOnlyForTheJobsWorkers(t *testing.T) {
	t.Parallel()
	st := startDevStack(t, egress.Policy{AllowLoopback: true})
	st.exec(t, `CREATE TABLE sink (id bigint PRIMARY KEY, v bigint)`)
	base, integ := st.service(t, "alpha")
	_, otherInteg := st.service(t, "beta")
	// An unbounded job writing through the integration: it stays RUNNING.
	dep := st.deploy(t, base, `{"statement":"INSERT INTO sink SELECT id, v FROM gen",
		"sources":[{"create_table":"CREATE TABLE gen (id BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '10', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000000')"}],
		"sinks":[{"create_table":"CREATE TABLE sink (id BIGINT, v BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'postgres', 'table-name' = 'sink', 'integration' = 'pg')"}]}`, 1)
	jobID := dep[strings.LastIndex(dep, "/")+1:]
	var d struct {
		Status string `json:"status"`
	}
	waitFor(t, "the deployment to run", 60*time.Second, func() bool {
		st.call(t, "GET", dep, 200, "", &d)
		if d.Status == "FAILED" {
			t.Fatalf("deployment failed: %q", st.events(t, dep))
		}
		return d.Status == "RUNNING"
	})
	// A worker registered by hand holds no task of the job.
	body, _ := json.Marshal(assign.Register{Slots: 1, DataAddr: "127.0.0.1:9", Name: "intruder"})
	req, _ := http.NewRequest(http.MethodPost, st.url+assign.PathRegister, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+st.joinToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var reg assign.Registered
	if err := json.NewDecoder(resp.Body).Decode(&reg); err != nil || reg.Token == "" {
		t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	for _, id := range []string{integ, otherInteg} {
		req, _ := http.NewRequest(http.MethodGet, st.url+assign.PathIntegration(reg.WorkerID, id)+"?job="+jobID, nil)
		req.Header.Set("Authorization", "Bearer "+reg.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || strings.Contains(string(raw), testPassword) {
			t.Fatalf("a worker without a task of the job got %d: %s", resp.StatusCode, raw)
		}
	}
	// The resolver cmd wires in opens an integration only within the job's project and service.
	var project, service string
	if err := st.pool.QueryRow(context.Background(), `SELECT project_id, service_id FROM integrations WHERE id = $1`, integ).Scan(&project, &service); err != nil {
		t.Fatal(err)
	}
	resolve := storeIntegrations(st.cp.store)
	ctx := context.Background()
	if in, err := resolve(ctx, project, service, integ); err != nil || in.Secret["password"] != testPassword || in.Type != "postgres" {
		t.Fatalf("own integration: %v, %v", in, err)
	}
	if _, err := resolve(ctx, project, service, otherInteg); !errors.Is(err, scheduler.ErrNotFound) {
		t.Fatalf("another project's integration: %v", err)
	}
	if _, err := resolve(ctx, project, "svc_other", integ); !errors.Is(err, scheduler.ErrNotFound) {
		t.Fatalf("another service's integration: %v", err)
	}
}

func TestWorkerEgressAllowFlag(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "worker", "--server", "http://127.0.0.1:1", "--join-token", "jt")
	cmd.Env = append(os.Environ(), "FLOWPLANE_EGRESS_ALLOW=loopback,public")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `--egress-allow: egress allow list: unknown class "public"`) {
		t.Fatalf("err=%v out=%s", err, out)
	}
}

// TestDeploymentUsesKafkaIntegration: a deployment reads a SASL/SCRAM Kafka topic (kfake on
// loopback) through a kafka integration, whose password reaches the worker only over the
// worker channel, and appends the rows to PostgreSQL through a postgres integration.
func TestDeploymentUsesKafkaIntegration(t *testing.T) {
	t.Parallel()
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "events"), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-256", "app", testPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	producer, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.DefaultProduceTopic("events"),
		kgo.SASL(scram.Auth{User: "app", Pass: testPassword}.AsSha256Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	var records []*kgo.Record
	for i := range 300 {
		records = append(records, &kgo.Record{Value: fmt.Appendf(nil, `{"id":%d,"kind":"k%d"}`, i, i%3)})
	}
	if err := producer.ProduceSync(context.Background(), records...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	st := startDevStack(t, egress.Policy{AllowLoopback: true})
	st.exec(t, `CREATE TABLE events (id bigint, kind text)`)
	base, _ := st.service(t, "stream")
	brokers, _ := json.Marshal(kc.ListenAddrs())
	st.call(t, "POST", base+"/integrations", 201, fmt.Sprintf(`{"name":"kf","type":"kafka","kafka":{"bootstrap_servers":%s,
		"security_protocol":"SASL_PLAINTEXT","sasl_mechanism":"SCRAM-SHA-256","sasl_username":"app","sasl_password":%q}}`, brokers, testPassword), nil)
	dep := st.deploy(t, base, `{"statement":"INSERT INTO events SELECT id, kind FROM src",
		"sources":[{"create_table":"CREATE TABLE src (id BIGINT, kind STRING) WITH ('connector' = 'kafka', 'integration' = 'kf', 'topic' = 'events', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset')"}],
		"sinks":[{"create_table":"CREATE TABLE events (id BIGINT, kind STRING) WITH ('connector' = 'postgres', 'table-name' = 'events', 'integration' = 'pg')"}]}`, 2)
	if status := st.waitStatus(t, dep); status != "FINISHED" {
		t.Fatalf("deployment %s; events %q", status, st.events(t, dep))
	}
	var n, distinct, k1 int
	if err := st.pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE kind = 'k1') FROM events`).Scan(&n, &distinct, &k1); err != nil {
		t.Fatal(err)
	}
	if n != 300 || distinct != 300 || k1 != 100 {
		t.Fatalf("events: %d rows, %d distinct ids, %d of kind k1; want 300, 300, 100", n, distinct, k1)
	}
	if strings.Contains(st.logs.String(), testPassword) || strings.Contains(strings.Join(st.events(t, dep), "\n"), testPassword) {
		t.Fatal("the kafka password leaked into a log line or an event")
	}
}
