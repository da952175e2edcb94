package exec

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// connectTimeout bounds connecting to a user's database or cluster.
const connectTimeout = 30 * time.Second

// pgPool connects to the database of a postgres table: its integration, or its inline 'url'
// (and 'username'), through the SSRF guard.
func pgPool(ctx context.Context, options map[string]string, opts Options) (*pgxpool.Pool, error) {
	var p endpoint.Postgres
	var err error
	if id := options["integration"]; id != "" {
		if opts.Endpoints == nil {
			return nil, fmt.Errorf("%w: postgres integration %q: this worker resolves no integrations", endpoint.ErrNoIntegration, id)
		}
		p, err = opts.Endpoints.Postgres(ctx, id)
	} else {
		p, err = endpoint.ParsePostgresURL(options["url"], options["username"])
	}
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(p.ConnString())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", endpoint.ErrEndpoint, err)
	}
	cfg.MaxConns = 2
	cfg.ConnConfig.DialFunc = opts.dial()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s:%d/%s: %w", p.Host, p.Port, p.Database, err)
	}
	return pool, nil
}

// pgSource is sql.source for the postgres connector: a bounded scan of 'table-name' or of
// 'scan.query'. With 'scan.partition.column' the subtasks split the rows by a hash of that
// column; without it subtask 0 reads them all. Its state is the number of rows emitted; a
// restore skips that many, so replays assume the scan returns rows in the same order (give
// the query an ORDER BY when the table may change).
type pgSource struct {
	operator.Base
	opts    Options
	cfg     sql.SourceConfig
	types   []dataflow.LogicalType
	schema  *arrow.Schema
	mem     memory.Allocator
	subtask int
	par     int
	pool    *pgxpool.Pool
	rows    pgx.Rows
	emitted int64
	skip    int64
	done    bool
}

func newPostgresSource(cfg sql.SourceConfig, opts Options) (operator.Operator, error) {
	s := &pgSource{opts: opts, cfg: cfg}
	for _, c := range cfg.Columns {
		t, err := dataflow.ParseLogicalType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("%w: column %s: %w", operator.ErrConfig, c.Name, err)
		}
		if _, err := pgCast(t); err != nil {
			return nil, fmt.Errorf("%w: column %s: %w", operator.ErrConfig, c.Name, err)
		}
		s.types = append(s.types, t)
	}
	var err error
	if s.schema, err = outSchema(cfg.Columns, false); err != nil {
		return nil, err
	}
	return s, nil
}

// pgCast is the PostgreSQL type a column of type t is read as.
func pgCast(t dataflow.LogicalType) (string, error) {
	switch t.Kind {
	case dataflow.TypeBoolean:
		return "boolean", nil
	case dataflow.TypeTinyInt, dataflow.TypeSmallInt, dataflow.TypeInt, dataflow.TypeBigInt:
		return "bigint", nil
	case dataflow.TypeFloat, dataflow.TypeDouble:
		return "double precision", nil
	case dataflow.TypeDecimal:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale), nil
	case dataflow.TypeString:
		return "text", nil
	case dataflow.TypeBytes:
		return "bytea", nil
	case dataflow.TypeDate:
		return "date", nil
	case dataflow.TypeTimestamp:
		return "timestamp(3)", nil
	case dataflow.TypeTimestampLTZ:
		return "timestamptz(3)", nil
	}
	return "", fmt.Errorf("type %s cannot be read from postgres", t)
}

// query builds the scan: the declared columns, cast to their types, of the table or query,
// restricted to this subtask's partition.
func (s *pgSource) query() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range s.cfg.Columns {
		cast, _ := pgCast(s.types[i])
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%s)::%s", pgx.Identifier{c.Name}.Sanitize(), cast)
	}
	if q := s.cfg.Options["scan.query"]; q != "" {
		fmt.Fprintf(&b, " FROM (%s) AS flowplane_scan", q)
	} else {
		fmt.Fprintf(&b, " FROM %s", pgx.Identifier(strings.Split(s.cfg.Options["table-name"], ".")).Sanitize())
	}
	if col := s.cfg.Options["scan.partition.column"]; col != "" && s.par > 1 {
		fmt.Fprintf(&b, " WHERE (hashtext((%s)::text)::bigint %% %d + %d) %% %d = %d",
			pgx.Identifier{col}.Sanitize(), s.par, s.par, s.par, s.subtask)
	}
	return b.String()
}

func (s *pgSource) Open(ctx *operator.Context) error {
	s.mem = allocator(ctx)
	s.subtask, s.par = ctx.Subtask, max(ctx.Parallelism, 1)
	s.done = s.subtask > 0 && s.cfg.Options["scan.partition.column"] == ""
	return nil
}

func (s *pgSource) start(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var err error
	if s.pool, err = pgPool(cctx, s.cfg.Options, s.opts); err != nil {
		return fmt.Errorf("postgres source %s: %w", s.cfg.Table, err)
	}
	if s.rows, err = s.pool.Query(ctx, s.query()); err != nil {
		return fmt.Errorf("postgres source %s: %w", s.cfg.Table, err)
	}
	return nil
}

// Poll emits the next rows of the scan.
func (s *pgSource) Poll(ctx context.Context, out operator.Emitter) error {
	return sourceError(s.poll(ctx, out))
}

func (s *pgSource) poll(ctx context.Context, out operator.Emitter) error {
	if s.done {
		return operator.ErrEndOfInput
	}
	if s.rows == nil {
		if err := s.start(ctx); err != nil {
			return err
		}
	}
	b := array.NewRecordBuilder(s.mem, s.schema)
	defer b.Release()
	n := 0
	for n < BatchRows && s.rows.Next() {
		if s.skip > 0 {
			s.skip--
			continue
		}
		vals, err := s.rows.Values()
		if err != nil {
			return fmt.Errorf("postgres source %s: %w", s.cfg.Table, err)
		}
		for j, v := range vals {
			if v, err = fromPG(v, s.types[j]); err == nil {
				err = appendValue(b.Field(j), v)
			}
			if err != nil {
				return fmt.Errorf("postgres source %s column %s: %w", s.cfg.Table, s.cfg.Columns[j].Name, err)
			}
		}
		n++
	}
	if n < BatchRows {
		s.rows.Close()
		if err := s.rows.Err(); err != nil {
			return fmt.Errorf("postgres source %s: %w", s.cfg.Table, err)
		}
		s.done = true
	}
	if n == 0 {
		return operator.ErrEndOfInput
	}
	s.emitted += int64(n)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return out.Emit(rec)
}

// fromPG converts a value read as pgCast(t) to eval's convention for t.
func fromPG(v any, t dataflow.LogicalType) (any, error) {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, []byte:
		return v, nil
	case pgtype.Numeric:
		if !x.Valid {
			return nil, nil
		}
		if x.NaN || x.InfinityModifier != pgtype.Finite {
			return nil, fmt.Errorf("numeric NaN or infinity in a DECIMAL column")
		}
		r := new(big.Rat).SetInt(x.Int)
		if x.Exp > 0 {
			r.Mul(r, new(big.Rat).SetInt(pow10(int(x.Exp))))
		} else if x.Exp < 0 {
			r.Quo(r, new(big.Rat).SetInt(pow10(int(-x.Exp))))
		}
		return r, nil
	case time.Time:
		if t.Kind == dataflow.TypeDate {
			days := x.Unix() / 86400
			if x.Unix() < 0 && x.Unix()%86400 != 0 {
				days--
			}
			return days, nil
		}
		return x.UnixMilli(), nil
	}
	return nil, fmt.Errorf("unexpected %T from postgres", v)
}

func (s *pgSource) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error {
	return fmt.Errorf("%w: a source has no inputs", operator.ErrConfig)
}

// SnapshotState writes the number of rows emitted.
func (s *pgSource) SnapshotState(_ uint64, w io.Writer) error {
	return binary.Write(w, binary.BigEndian, s.emitted)
}

// RestoreState reads the offset written by SnapshotState; the scan skips that many rows.
func (s *pgSource) RestoreState(r io.Reader) error {
	if err := binary.Read(r, binary.BigEndian, &s.emitted); err != nil {
		return err
	}
	s.skip = s.emitted
	return nil
}

func (s *pgSource) Close() error {
	if s.rows != nil {
		s.rows.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	return nil
}

// parseIntOption reads an optional non-negative integer option (validated by the binder).
func parseIntOption(options map[string]string, key string, def int) int {
	if v, ok := options[key]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}
