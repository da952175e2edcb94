package exec

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// errFormat marks a record that does not parse in the table's format.
var errFormat = errors.New("record does not match the format")

// rowFormat encodes and decodes rows of fixed columns as Kafka record keys or values.
type rowFormat struct {
	kind  string // json, csv or raw
	names []string
	types []dataflow.LogicalType
	delim rune
	buf   bytes.Buffer
}

// tableFormat is the row format a table's options name ('format', 'csv.field-delimiter') and
// whether a source skips lines it cannot parse ('json.ignore-parse-errors' or
// 'csv.ignore-parse-errors').
func tableFormat(options map[string]string, names []string, types []dataflow.LogicalType) (*rowFormat, bool, error) {
	f, err := newRowFormat(options["format"], names, types, options["csv.field-delimiter"])
	return f, options["json.ignore-parse-errors"] == "true" || options["csv.ignore-parse-errors"] == "true", err
}

func newRowFormat(kind string, names []string, types []dataflow.LogicalType, delimiter string) (*rowFormat, error) {
	f := &rowFormat{kind: kind, names: names, types: types, delim: ','}
	if r := []rune(delimiter); len(r) == 1 {
		f.delim = r[0]
	} else if delimiter != "" {
		return nil, fmt.Errorf("csv.field-delimiter %q must be one character", delimiter)
	}
	if kind == "raw" && (len(types) != 1 || (types[0].Kind != dataflow.TypeString && types[0].Kind != dataflow.TypeBytes)) {
		return nil, fmt.Errorf("format 'raw' needs exactly one STRING or BYTES column")
	}
	return f, nil
}

// decode parses data into one value per column (eval's convention), appended to dst.
func (f *rowFormat) decode(data []byte, dst []any) ([]any, error) {
	switch f.kind {
	case "raw":
		if data == nil {
			return append(dst, nil), nil
		}
		if f.types[0].Kind == dataflow.TypeString {
			return append(dst, string(data)), nil
		}
		return append(dst, append([]byte(nil), data...)), nil
	case "csv":
		return f.decodeCSV(data, dst)
	}
	return f.decodeJSON(data, dst)
}

func (f *rowFormat) decodeCSV(data []byte, dst []any) ([]any, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma, r.FieldsPerRecord = f.delim, len(f.names)
	fields, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: csv: empty record", errFormat)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: csv: %w", errFormat, err)
	}
	for i, s := range fields {
		if s == "" && f.types[i].Kind != dataflow.TypeString {
			dst = append(dst, nil)
			continue
		}
		v, err := eval.ParseText(s, f.types[i])
		if err != nil {
			return nil, fmt.Errorf("%w: column %s: %w", errFormat, f.names[i], err)
		}
		dst = append(dst, v)
	}
	return dst, nil
}

func (f *rowFormat) decodeJSON(data []byte, dst []any) ([]any, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("%w: json: %w", errFormat, err)
	}
	for i, name := range f.names {
		v, err := decodeJSONField(obj[name], f.types[i])
		if err != nil {
			return nil, fmt.Errorf("%w: column %s: %w", errFormat, name, err)
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// decodeJSONField converts one JSON field: numbers and booleans directly, strings as CAST from text
// (timestamps "2024-01-01 12:00:00.000" or ISO-8601), a number for a timestamp as epoch ms.
func decodeJSONField(raw json.RawMessage, t dataflow.LogicalType) (any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if t.Kind == dataflow.TypeBytes {
			return []byte(s), nil
		}
		return eval.ParseText(s, t)
	case '{', '[':
		if t.Kind == dataflow.TypeString {
			return string(raw), nil
		}
		return nil, fmt.Errorf("cannot read a JSON object or array as %s", t)
	}
	s := string(raw)
	switch t.Kind {
	case dataflow.TypeString:
		return s, nil
	case dataflow.TypeBoolean:
		return strconv.ParseBool(s)
	case dataflow.TypeDouble, dataflow.TypeFloat:
		return strconv.ParseFloat(s, 64)
	case dataflow.TypeDecimal:
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return nil, fmt.Errorf("not a number: %s", s)
		}
		return eval.Normalize(r, t)
	}
	return strconv.ParseInt(s, 10, 64) // integers, timestamps (epoch ms), dates (epoch days)
}

// encode renders vals (eval's convention) in the format; the result is valid until the next
// call.
func (f *rowFormat) encode(vals []any) ([]byte, error) {
	f.buf.Reset()
	switch f.kind {
	case "raw":
		switch v := vals[0].(type) {
		case nil:
			return nil, nil
		case string:
			f.buf.WriteString(v)
		case []byte:
			f.buf.Write(v)
		}
	case "csv":
		w := csv.NewWriter(&f.buf)
		w.Comma = f.delim
		rec := make([]string, len(vals))
		for i, v := range vals {
			if v != nil {
				rec[i] = eval.Format(v, f.types[i])
			}
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
		w.Flush()
		f.buf.Truncate(f.buf.Len() - 1) // one record per message: no trailing newline
	default:
		f.buf.WriteByte('{')
		for i, v := range vals {
			if i > 0 {
				f.buf.WriteByte(',')
			}
			name, _ := json.Marshal(f.names[i])
			f.buf.Write(name)
			f.buf.WriteByte(':')
			f.buf.Write(jsonText(v, f.types[i]))
		}
		f.buf.WriteByte('}')
	}
	return f.buf.Bytes(), nil
}

// jsonText renders one value as JSON: numbers and booleans as themselves, decimals as
// numbers, dates and timestamps as SQL text ("2024-01-01 12:00:00.000"), like Flink's json
// format.
func jsonText(v any, t dataflow.LogicalType) []byte {
	if v == nil {
		return []byte("null")
	}
	switch x := v.(type) {
	case bool:
		return strconv.AppendBool(nil, x)
	case float64:
		if b, err := json.Marshal(x); err == nil {
			return b
		}
		return []byte("null") // NaN and infinities have no JSON number
	case []byte:
		b, _ := json.Marshal(x)
		return b
	}
	text := eval.Format(v, t)
	switch t.Kind {
	case dataflow.TypeTinyInt, dataflow.TypeSmallInt, dataflow.TypeInt, dataflow.TypeBigInt, dataflow.TypeDecimal:
		return []byte(text)
	}
	b, _ := json.Marshal(text)
	return b
}
