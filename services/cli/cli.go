package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Response is what every generated *WithResponse reply offers.
type Response interface {
	StatusCode() int
	GetBody() []byte
}

// Error is a failed API call.
type Error struct {
	Status    int
	Code      string
	Detail    string
	RequestID string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Detail)
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// Check turns an error status into an *Error.
func Check(r Response, err error) error {
	if err != nil {
		return err
	}
	if r.StatusCode() < 400 {
		return nil
	}
	var p struct {
		Code      string `json:"code"`
		Detail    string `json:"detail"`
		RequestID string `json:"request_id"`
	}
	_ = json.Unmarshal(r.GetBody(), &p)
	if p.Code == "" {
		p.Code, p.Detail = "http_error", strings.TrimSpace(string(r.GetBody()))
	}
	return &Error{Status: r.StatusCode(), Code: p.Code, Detail: p.Detail, RequestID: p.RequestID}
}

// Render prints a successful reply: format "json" prints the body as is; "table" prints a list's
// items (or one object) with the given columns; an empty body prints "ok".
func Render(w io.Writer, r Response, err error, format string, columns ...string) error {
	if err := Check(r, err); err != nil {
		return err
	}
	body := r.GetBody()
	if len(bytes.TrimSpace(body)) == 0 {
		_, err := fmt.Fprintln(w, "ok")
		return err
	}
	switch format {
	case "json":
		var out bytes.Buffer
		if json.Indent(&out, body, "", "  ") != nil {
			out.Write(body)
		}
		out.WriteByte('\n')
		_, err := w.Write(out.Bytes())
		return err
	case "table", "":
		return table(w, body, columns)
	default:
		return fmt.Errorf("-o %q: want table or json", format)
	}
}

func table(w io.Writer, body []byte, columns []string) error {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("decode reply: %w", err)
	}
	rows := []map[string]any{doc}
	if items, ok := doc["items"].([]any); ok {
		rows = rows[:0]
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				rows = append(rows, m)
			}
		}
	}
	if len(columns) == 0 {
		for k := range rows[0] {
			columns = append(columns, k)
		}
		sort.Strings(columns)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(columns, "\t")))
	for _, row := range rows {
		cells := make([]string, len(columns))
		for i, c := range columns {
			cells[i] = cell(row[c])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if next, ok := doc["next_cursor"].(string); ok && next != "" {
		fmt.Fprintf(tw, "(more: --cursor %s)\n", next)
	}
	return tw.Flush()
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}
