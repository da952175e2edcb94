package sql

import (
	"fmt"
	"strings"
)

// scopeCol is a column visible to expressions: its qualifier (table alias), name, position in
// the input row and type. window marks window_start/window_end columns of a window TVF.
type scopeCol struct {
	qual   string
	name   string
	t      Type
	window *WindowAssign
}

// scope is the row an expression is evaluated over: columns in input order.
type scope struct {
	cols []scopeCol
}

func (s *scope) add(qual, name string, t Type) {
	s.cols = append(s.cols, scopeCol{qual: qual, name: name, t: t})
}

// scopeOf returns a scope over rel's columns, all qualified by qual.
func scopeOf(rel Rel, qual string) *scope {
	s := &scope{}
	for _, c := range rel.Columns() {
		s.add(qual, c.Name, c.Type)
	}
	return s
}

// concat returns the scope of a join: the left columns then the right ones.
func (s *scope) concat(o *scope) *scope {
	out := &scope{cols: append(append([]scopeCol(nil), s.cols...), o.cols...)}
	return out
}

// resolve finds the column a reference names.
func (s *scope) resolve(ref *ColumnRef) (int, *Error) {
	var qual, name string
	switch len(ref.Parts) {
	case 1:
		name = ref.Parts[0].Name
	case 2:
		qual, name = ref.Parts[0].Name, ref.Parts[1].Name
	default:
		return -1, errorf(ErrUnsupported, ref.Sp, "nested field access %s is not supported", Print(ref))
	}
	found := -1
	for i, c := range s.cols {
		if c.name != name || qual != "" && c.qual != qual {
			continue
		}
		if found >= 0 {
			return -1, errorf(ErrUnknownName, ref.Sp, "column reference %s is ambiguous: qualify it with a table alias", Print(ref))
		}
		found = i
	}
	if found >= 0 {
		return found, nil
	}
	if qual != "" && !s.hasQualifier(qual) {
		return -1, errorf(ErrUnknownName, ref.Parts[0].Sp, "unknown table or alias %s%s", qual, s.qualHint(qual))
	}
	return -1, errorf(ErrUnknownName, ref.Sp, "unknown column %s%s", Print(ref), s.hint(qual, name))
}

func (s *scope) hasQualifier(q string) bool {
	for _, c := range s.cols {
		if c.qual == q {
			return true
		}
	}
	return false
}

func (s *scope) qualHint(q string) string {
	for _, c := range s.cols {
		if c.qual != "" && strings.EqualFold(c.qual, q) {
			return fmt.Sprintf("; did you mean %s? (names are case-sensitive)", c.qual)
		}
	}
	return ""
}

func (s *scope) hint(qual, name string) string {
	for _, c := range s.cols {
		if strings.EqualFold(c.name, name) && (qual == "" || c.qual == qual) {
			return fmt.Sprintf("; did you mean %s? (names are case-sensitive)", c.name)
		}
	}
	var names []string
	for _, c := range s.cols {
		if qual == "" || c.qual == qual {
			names = append(names, c.name)
		}
	}
	if len(names) > 0 && len(names) <= 20 {
		return "; available: " + strings.Join(names, ", ")
	}
	return ""
}
