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
}

// splitter cuts a script into statements, reporting quoting and bracket errors on the way.
type splitter struct {
	*scanner
	stmts  []statement
	cur    statement
	parens []pos
	word   strings.Builder
}

func (p *splitter) flush() {
	if p.word.Len() > 0 {
		p.cur.words = append(p.cur.words, strings.ToUpper(p.word.String()))
		p.word.Reset()
	}
}

func (p *splitter) closeParens() {
	for _, at := range p.parens {
		p.errorf(at, pos{at.line, at.col + 1}, "unclosed '('")
	}
	p.parens = nil
}

func (p *splitter) endStatement() {
	p.flush()
	p.closeParens()
	if len(p.cur.words) > 0 {
		p.stmts = append(p.stmts, p.cur)
	}
	p.cur = statement{}
}

// skipComment consumes a -- or /* */ comment; false when a block comment never ends.
func (p *splitter) skipComment() bool {
	if p.peek(0) == '-' {
		for p.i < len(p.src) && p.peek(0) != '\n' {
			p.next()
		}
		return true
	}
	from := p.at
	p.next()
	p.next()
	for p.i < len(p.src) && !(p.peek(0) == '*' && p.peek(1) == '/') {
		p.next()
	}
	if p.i >= len(p.src) {
		p.errorf(from, p.at, "unterminated comment")
		return false
	}
	p.next()
	p.next()
	return true
}

// skipQuoted consumes a string literal or quoted identifier; false when it never ends.
func (p *splitter) skipQuoted(q rune) bool {
	from := p.at
	p.next()
	for p.i < len(p.src) {
		if p.next() == q {
			if p.peek(0) != q { // a doubled quote stands for itself
				p.cur.words = append(p.cur.words, "'")
				return true
			}
			p.next()
		}
	}
	what := "string literal"
	if q != '\'' {
		what = "quoted identifier"
	}
	p.errorf(from, p.at, "unterminated "+what)
	return false
}

// step consumes one token; false stops the scan.
func (p *splitter) step() bool {
	r := p.peek(0)
	if len(p.cur.words) == 0 && p.word.Len() == 0 && !unicode.IsSpace(r) && r != ';' {
		p.cur.start = p.at
	}
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
		p.word.WriteRune(p.next())
		return true
	case (r == '-' && p.peek(1) == '-') || (r == '/' && p.peek(1) == '*'):
		p.flush()
		return p.skipComment()
	case r == '\'' || r == '"' || r == '`':
		p.flush()
		return p.skipQuoted(r)
	}
	p.flush()
	from := p.at
	p.next()
	switch r {
	case '(':
		p.parens = append(p.parens, from)
	case ')':
		if len(p.parens) == 0 {
			p.errorf(from, p.at, "unexpected ')'")
		} else {
			p.parens = p.parens[:len(p.parens)-1]
		}
	case ';':
		p.endStatement()
	}
	return true
}

func minimal(script string) []Diagnostic {
	p := &splitter{scanner: &scanner{src: []rune(script), at: pos{1, 1}}}
	for p.i < len(p.src) {
		if !p.step() {
			return p.diags
		}
	}
	p.endStatement()
	inserts := 0
	for _, st := range p.stmts {
		if msg := checkStatement(st.words); msg != "" {
			p.errorf(st.start, endOfFirstWord(st), msg)
		}
		if st.words[0] == "INSERT" {
			inserts++
		}
	}
	if len(p.diags) == 0 && inserts == 0 {
		p.errorf(p.at, p.at, "the application has no INSERT INTO statement, so it writes nothing")
	}
	return p.diags
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
