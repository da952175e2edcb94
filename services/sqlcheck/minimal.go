package sqlcheck

import (
	"strings"
	"unicode"
)

// Minimal is a syntax-level Validator: it splits the script into statements (respecting quotes and
// comments), checks brackets and that each statement starts like one Flowplane runs (CREATE TABLE,
// CREATE VIEW, CREATE TEMPORARY VIEW, INSERT INTO, SET), and that there is at least one INSERT.
var Minimal Validator = Func(minimal)

type pos struct{ line, col int }

type scanner struct {
	src   []rune
	i     int
	at    pos
	diags []Diagnostic
}

func (s *scanner) next() rune {
	r := s.src[s.i]
	s.i++
	if r == '\n' {
		s.at.line++
		s.at.col = 1
	} else {
		s.at.col++
	}
	return r
}

func (s *scanner) peek(off int) rune {
	if s.i+off < len(s.src) {
		return s.src[s.i+off]
	}
	return 0
}

func (s *scanner) errorf(from, to pos, msg string) {
	s.diags = append(s.diags, Diagnostic{Message: msg, Line: from.line, Column: from.col, EndLine: to.line, EndColumn: to.col})
}

// statement is one statement's words (upper-cased, outside quotes) and where it started.
type statement struct {
	words []string
	start pos
	end   pos
}

func minimal(script string) []Diagnostic {
	s := &scanner{src: []rune(script), at: pos{1, 1}}
	var stmts []statement
	cur := statement{}
	var parens []pos
	word := strings.Builder{}
	flush := func() {
		if word.Len() > 0 {
			cur.words = append(cur.words, strings.ToUpper(word.String()))
			word.Reset()
		}
	}
	for s.i < len(s.src) {
		r := s.peek(0)
		if len(cur.words) == 0 && word.Len() == 0 && !unicode.IsSpace(r) && r != ';' {
			cur.start = s.at
		}
		switch {
		case r == '-' && s.peek(1) == '-':
			flush()
			for s.i < len(s.src) && s.peek(0) != '\n' {
				s.next()
			}
		case r == '/' && s.peek(1) == '*':
			flush()
			from := s.at
			s.next()
			s.next()
			for s.i < len(s.src) && !(s.peek(0) == '*' && s.peek(1) == '/') {
				s.next()
			}
			if s.i >= len(s.src) {
				s.errorf(from, s.at, "unterminated comment")
				return s.diags
			}
			s.next()
			s.next()
		case r == '\'' || r == '"' || r == '`':
			flush()
			from := s.at
			s.next()
			closed := false
			for s.i < len(s.src) {
				c := s.next()
				if c == r {
					if s.peek(0) == r { // doubled quote
						s.next()
						continue
					}
					closed = true
					break
				}
			}
			if !closed {
				what := "string literal"
				if r != '\'' {
					what = "quoted identifier"
				}
				s.errorf(from, s.at, "unterminated "+what)
				return s.diags
			}
			cur.words = append(cur.words, "'")
		case r == '(':
			flush()
			parens = append(parens, s.at)
			s.next()
		case r == ')':
			flush()
			from := s.at
			s.next()
			if len(parens) == 0 {
				s.errorf(from, s.at, "unexpected ')'")
				continue
			}
			parens = parens[:len(parens)-1]
		case r == ';':
			flush()
			for _, p := range parens {
				s.errorf(p, pos{p.line, p.col + 1}, "unclosed '('")
			}
			parens = nil
			cur.end = s.at
			if len(cur.words) > 0 {
				stmts = append(stmts, cur)
			}
			cur = statement{}
			s.next()
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
			word.WriteRune(s.next())
		default:
			flush()
			s.next()
		}
	}
	flush()
	for _, p := range parens {
		s.errorf(p, pos{p.line, p.col + 1}, "unclosed '('")
	}
	if len(cur.words) > 0 {
		cur.end = s.at
		stmts = append(stmts, cur)
	}
	inserts := 0
	for _, st := range stmts {
		if msg := checkStatement(st.words); msg != "" {
			s.errorf(st.start, endOfFirstWord(st), msg)
		}
		if st.words[0] == "INSERT" {
			inserts++
		}
	}
	if len(s.diags) == 0 && inserts == 0 {
		s.errorf(s.at, s.at, "the application has no INSERT INTO statement, so it writes nothing")
	}
	return s.diags
}

func endOfFirstWord(st statement) pos {
	return pos{st.start.line, st.start.col + len([]rune(st.words[0]))}
}

func checkStatement(w []string) string {
	at := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	switch w[0] {
	case "CREATE":
		i := 1
		if at(i) == "TEMPORARY" {
			i++
		}
		switch at(i) {
		case "TABLE":
			if at(i+1) == "" || at(i+1) == "WITH" {
				return "CREATE TABLE needs a table name"
			}
		case "VIEW":
			if !contains(w[i:], "AS") {
				return "CREATE VIEW needs AS followed by a query"
			}
		default:
			return "expected TABLE or VIEW after CREATE"
		}
	case "INSERT":
		if at(1) != "INTO" {
			return "expected INTO after INSERT"
		}
		if !contains(w, "SELECT") && !contains(w, "VALUES") {
			return "INSERT INTO needs a SELECT or VALUES"
		}
	case "SET":
	default:
		return "expected CREATE TABLE, CREATE VIEW, INSERT INTO or SET, found " + w[0]
	}
	return ""
}

func contains(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}
