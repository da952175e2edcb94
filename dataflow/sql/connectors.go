package sql

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/dataflow/connectors/nexmark"
)

// optionKind says how an option value is checked.
type optionKind int

const (
	optString optionKind = iota
	optInt
	optNumber
	optBool
	optDuration
	optEnum
	optPath    // a path inside the service's storage: no '..', file:// or no scheme
	optIdent   // a SQL identifier, optionally schema-qualified (it ends up in the sink's SQL)
	optTopic   // a Kafka topic name
	optColumns // ';'-separated columns of the table
	optPgURL   // postgres://host[:port]/db or jdbc:postgresql://…, without credentials
	optBrokers // host:port[,host:port]
	optSize    // a byte size: 1000, 64KB, 128MB, 1GB
	optOffsets // partition:<n>,offset:<n>[;...]
)

type optionSpec struct {
	kind   optionKind
	values []string // optEnum
}

// connectorSpec is the allow-list of one connector's options. Field options ("fields.<f>.x")
// name a column of the table.
type connectorSpec struct {
	options      map[string]optionSpec
	fieldOptions map[string]optionSpec
	required     []string
	source, sink bool
	appendOnly   bool     // sink cannot take updates
	integration  bool     // needs 'integration' for its endpoint and credentials...
	endpoint     string   // ...unless this inline option names an endpoint without credentials
	oneOf        []string // exactly one of these options is required
}

var formats = optionSpec{kind: optEnum, values: []string{"csv", "json"}}

// connectors are the allow-lists of every built-in connector.
var connectors = map[string]connectorSpec{
	"datagen": {source: true,
		options: map[string]optionSpec{"rows-per-second": {kind: optInt}, "number-of-rows": {kind: optInt}},
		fieldOptions: map[string]optionSpec{
			"kind": {kind: optEnum, values: []string{"random", "sequence"}}, "min": {kind: optNumber},
			"max": {kind: optNumber}, "length": {kind: optInt}, "start": {kind: optNumber},
			"end": {kind: optNumber}, "null-rate": {kind: optNumber}, "max-past": {kind: optDuration},
		}},
	"nexmark": {source: true, required: []string{"stream"},
		options: map[string]optionSpec{
			"stream":            {kind: optEnum, values: []string{"person", "auction", "bid"}},
			"events-per-second": {kind: optInt}, "number-of-events": {kind: optInt},
			"seed": {kind: optInt}, "person-proportion": {kind: optInt},
			"auction-proportion": {kind: optInt}, "bid-proportion": {kind: optInt},
		}},
	"print": {sink: true, options: map[string]optionSpec{
		"print-identifier": {}, "standard-error": {kind: optBool}}},
	"blackhole": {sink: true},
	"filesystem": {source: true, sink: true, appendOnly: true, required: []string{"path", "format"},
		options: map[string]optionSpec{
			"path": {kind: optPath}, "format": formats, "csv.field-delimiter": {}, "csv.ignore-parse-errors": {kind: optBool},
			"json.ignore-parse-errors": {kind: optBool}, "source.monitor-interval": {kind: optDuration},
			"sink.rolling-policy.file-size": {kind: optSize}, "sink.rolling-policy.rollover-interval": {kind: optDuration},
		}},
	"postgres": {source: true, sink: true, integration: true, endpoint: "url", oneOf: []string{"table-name", "scan.query"},
		options: map[string]optionSpec{
			"url": {kind: optPgURL}, "username": {kind: optIdent},
			"table-name": {kind: optIdent}, "scan.query": {}, "scan.partition.column": {kind: optIdent},
			"sink.buffer-flush.max-rows": {kind: optInt},
		}},
	"kafka": {source: true, sink: true, appendOnly: true, integration: true, endpoint: "properties.bootstrap.servers",
		required: []string{"topic", "format"},
		options: map[string]optionSpec{
			"topic": {kind: optTopic}, "format": {kind: optEnum, values: []string{"csv", "json", "raw"}},
			"properties.bootstrap.servers": {kind: optBrokers}, "properties.group.id": {},
			"scan.startup.mode":             {kind: optEnum, values: []string{"earliest-offset", "latest-offset", "group-offsets", "timestamp", "specific-offsets"}},
			"scan.startup.timestamp-millis": {kind: optInt},
			"scan.startup.specific-offsets": {kind: optOffsets},
			"scan.bounded.mode":             {kind: optEnum, values: []string{"unbounded", "latest-offset"}},
			"key.format":                    formats,
			"key.fields":                    {kind: optColumns},
			"sink.partitioner":              {kind: optEnum, values: []string{"default", "fixed", "round-robin"}},
			"sink.delivery-guarantee":       {kind: optEnum, values: []string{"none", "at-least-once", "exactly-once"}},
			"csv.field-delimiter":           {},
			"json.ignore-parse-errors":      {kind: optBool},
			"csv.ignore-parse-errors":       {kind: optBool},
		}},
}

// secretWords mark option keys that would put a credential into the application text.
var secretWords = []string{"password", "secret", "token", "credential", "jaas", "private-key", "keystore", "truststore", "api-key", "access-key"}

func isSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

var (
	durationRe    = regexp.MustCompile(`^\d+\s*(ms|s|sec|min|h|d|milliseconds?|seconds?|minutes?|hours?|days?)?$`)
	integrationRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	sqlIdentRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$`)
	topicRe       = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
	offsetsRe     = regexp.MustCompile(`^\s*partition:\d{1,9},\s*offset:\d{1,18}\s*(;\s*partition:\d{1,9},\s*offset:\d{1,18}\s*)*$`)
	sizeRe        = regexp.MustCompile(`(?i)^[1-9][0-9]{0,15}\s*(B|KB|MB|GB)?$`)
)

func connectorNames() string {
	names := make([]string, 0, len(connectors))
	for n := range connectors {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkOptions validates a table's WITH clause against its connector's allow-list.
func checkOptions(t *Table, opts []*Option) []*Error {
	var errs []*Error
	spec, ok := connectors[t.Connector]
	if !ok {
		return nil // reported by the caller with the connector's position
	}
	seen := map[string]bool{}
	for _, o := range opts {
		key, val := o.Key.Value, o.Value.Value
		if seen[key] {
			errs = append(errs, errorf(ErrOption, o.Key.Sp, "option '%s' is set twice", key))
		}
		seen[key] = true
		if err := checkOption(t, spec, key, val, o); err != nil {
			errs = append(errs, err)
		}
	}
	switch t.Connector {
	case "nexmark":
		errs = append(errs, checkNexmarkColumns(t)...)
	case "datagen":
		errs = append(errs, checkDatagenSequences(t, opts)...)
	}
	for _, req := range spec.required {
		if _, ok := t.Options[req]; !ok {
			errs = append(errs, errorf(ErrOption, t.Decl.Name.Sp, "connector '%s' of table %s needs option '%s'", t.Connector, t.Name, req))
		}
	}
	errs = append(errs, checkOneOf(t, spec)...)
	_, hasEndpoint := t.Options[spec.endpoint]
	_, hasIntegration := t.Options["integration"]
	if hasEndpoint && hasIntegration {
		errs = append(errs, errorf(ErrOption, t.Decl.Name.Sp, "table %s sets both 'integration' and '%s'; use one", t.Name, spec.endpoint))
	}
	if spec.integration && !hasIntegration && !hasEndpoint {
		errs = append(errs, errorf(ErrOption, t.Decl.Name.Sp,
			"connector '%s' of table %s needs 'integration' = '<id>' naming the service integration with its endpoint and credentials%s", t.Connector, t.Name, endpointHint(spec)))
	}
	return errs
}

// checkDatagenSequences requires fields.<f>.start <= fields.<f>.end for every sequence field, at
// the position of the field's 'kind' option (the generator cannot start without them).
func checkDatagenSequences(t *Table, opts []*Option) []*Error {
	var errs []*Error
	for _, o := range opts {
		field, ok := strings.CutSuffix(strings.TrimPrefix(o.Key.Value, "fields."), ".kind")
		if !ok || !strings.HasPrefix(o.Key.Value, "fields.") || o.Value.Value != "sequence" {
			continue
		}
		start, err1 := strconv.ParseFloat(t.Options["fields."+field+".start"], 64)
		end, err2 := strconv.ParseFloat(t.Options["fields."+field+".end"], 64)
		if err1 != nil || err2 != nil || end < start {
			errs = append(errs, errorf(ErrOption, o.Sp, "sequence field %s of table %s needs numeric 'fields.%s.start' <= 'fields.%s.end'",
				field, t.Name, field, field))
		}
	}
	return errs
}

func endpointHint(spec connectorSpec) string {
	if spec.endpoint == "" {
		return ""
	}
	return " (or '" + spec.endpoint + "' for an endpoint without credentials)"
}

// checkOneOf requires exactly one of spec.oneOf.
func checkOneOf(t *Table, spec connectorSpec) []*Error {
	if len(spec.oneOf) == 0 {
		return nil
	}
	set := 0
	for _, k := range spec.oneOf {
		if _, ok := t.Options[k]; ok {
			set++
		}
	}
	if set == 1 {
		return nil
	}
	quoted := make([]string, len(spec.oneOf))
	for i, k := range spec.oneOf {
		quoted[i] = "'" + k + "'"
	}
	return []*Error{errorf(ErrOption, t.Decl.Name.Sp, "connector '%s' of table %s needs exactly one of %s, found %d",
		t.Connector, t.Name, strings.Join(quoted, ", "), set)}
}

func checkOption(t *Table, spec connectorSpec, key, val string, o *Option) *Error {
	switch {
	case key == "connector":
		return nil
	case isSecretKey(key):
		return errorf(ErrInlineSecret, o.Sp,
			"option '%s' would store a secret in the application; create an integration on the service and reference it with 'integration' = '<id>'", key)
	case key == "integration":
		if !spec.integration {
			return errorf(ErrOption, o.Key.Sp, "connector '%s' does not use integrations", t.Connector)
		}
		if !integrationRe.MatchString(val) {
			return errorf(ErrOption, o.Value.Sp, "invalid integration id '%s'", val)
		}
		return nil
	}
	if os, ok := spec.options[key]; ok {
		if os.kind == optColumns {
			for _, c := range strings.Split(val, ";") {
				if t.columnIndex(strings.TrimSpace(c)) < 0 {
					return errorf(ErrOption, o.Value.Sp, "option '%s' names %s, which is not a column of table %s", key, strings.TrimSpace(c), t.Name)
				}
			}
			return nil
		}
		return checkValue(os, key, val, o)
	}
	if rest, ok := strings.CutPrefix(key, "fields."); ok && spec.fieldOptions != nil {
		dot := strings.LastIndexByte(rest, '.')
		if dot > 0 {
			field, prop := rest[:dot], rest[dot+1:]
			os, ok := spec.fieldOptions[prop]
			if !ok {
				return errorf(ErrOption, o.Key.Sp, "unknown option '%s' for connector '%s': fields.<field>.%s is not a field option", key, t.Connector, prop)
			}
			if t.columnIndex(field) < 0 {
				return errorf(ErrOption, o.Key.Sp, "option '%s' names field %s, which is not a column of table %s", key, field, t.Name)
			}
			return checkValue(os, key, val, o)
		}
	}
	return errorf(ErrOption, o.Key.Sp, "unknown option '%s' for connector '%s'; allowed: %s", key, t.Connector, allowedOptions(spec))
}

func allowedOptions(spec connectorSpec) string {
	var keys []string
	for k := range spec.options {
		keys = append(keys, "'"+k+"'")
	}
	for k := range spec.fieldOptions {
		keys = append(keys, "'fields.<field>."+k+"'")
	}
	if spec.integration {
		keys = append(keys, "'integration'")
	}
	if len(keys) == 0 {
		return "none besides 'connector'"
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func checkValue(os optionSpec, key, val string, o *Option) *Error {
	bad := func(want string) *Error {
		return errorf(ErrOption, o.Value.Sp, "option '%s' must be %s, found '%s'", key, want, val)
	}
	switch os.kind {
	case optInt:
		if n, err := strconv.ParseInt(val, 10, 64); err != nil || n < 0 {
			return bad("a non-negative integer")
		}
	case optNumber:
		if _, err := strconv.ParseFloat(val, 64); err != nil {
			return bad("a number")
		}
	case optBool:
		if val != "true" && val != "false" {
			return bad("true or false")
		}
	case optDuration:
		if !durationRe.MatchString(strings.TrimSpace(val)) {
			return bad("a duration such as '10 s' or '500 ms'")
		}
	case optPath:
		return checkPath(key, val, o)
	case optIdent:
		if !sqlIdentRe.MatchString(val) {
			return bad("a table or column name such as 'orders' or 'public.orders'")
		}
	case optTopic:
		if !topicRe.MatchString(val) {
			return bad("a Kafka topic name (letters, digits, '.', '_' and '-')")
		}
	case optPgURL:
		if _, err := endpoint.ParsePostgresURL(val, ""); err != nil {
			return errorf(ErrOption, o.Value.Sp, "option '%s': %v", key, err)
		}
	case optOffsets:
		if !offsetsRe.MatchString(val) {
			return bad("offsets such as 'partition:0,offset:42;partition:1,offset:300'")
		}
	case optSize:
		if !sizeRe.MatchString(strings.TrimSpace(val)) {
			return bad("a size such as '128MB' (B, KB, MB, GB)")
		}
	case optBrokers:
		if _, err := endpoint.ParseBrokers(val); err != nil {
			return errorf(ErrOption, o.Value.Sp, "option '%s': %v", key, err)
		}
	case optEnum:
		for _, v := range os.values {
			if val == v {
				return nil
			}
		}
		return bad("one of " + strings.Join(os.values, ", "))
	}
	return nil
}

// checkPath accepts plain or file:// paths without '..' segments; workers resolve them inside
// the service's storage directory, so an application cannot reach other files.
func checkPath(key, val string, o *Option) *Error {
	p := strings.TrimPrefix(val, "file://")
	if strings.Contains(p, "://") {
		return errorf(ErrOption, o.Value.Sp, "option '%s' must be a file path (optionally file://), found '%s'", key, val)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return errorf(ErrOption, o.Value.Sp, "option '%s' must not contain '..' segments", key)
		}
	}
	if p == "" || strings.ContainsRune(p, 0) {
		return errorf(ErrOption, o.Value.Sp, "option '%s' must be a non-empty path", key)
	}
	return nil
}

// checkNexmarkColumns requires a nexmark table's physical columns to be fields of its stream,
// with their types.
func checkNexmarkColumns(t *Table) []*Error {
	kind, ok := nexmark.ParseKind(t.Options["stream"])
	if !ok {
		return nil // reported as an invalid 'stream' value
	}
	fields := nexmark.Fields(kind)
	var errs []*Error
	for _, c := range t.Columns {
		if c.Computed != nil {
			continue
		}
		var want *dataflow.Field
		for i := range fields {
			if fields[i].Name == c.Name {
				want = &fields[i]
			}
		}
		switch {
		case want == nil:
			var names []string
			for _, f := range fields {
				names = append(names, f.Name)
			}
			errs = append(errs, errorf(ErrOption, c.Sp, "nexmark stream %s has no column %s; its columns are %s", kind, c.Name, strings.Join(names, ", ")))
		case want.Type != c.Type.LogicalType:
			errs = append(errs, errorf(ErrType, c.Sp, "column %s of nexmark stream %s has type %s, not %s", c.Name, kind, want.Type, c.Type.LogicalType))
		}
	}
	return errs
}
