package sql

import (
	"fmt"
	"strings"
)

// maxDepth bounds expression and query nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// parser is a recursive-descent parser over a token slice. Syntax errors abort the current
// statement by panicking with a bailout value that parseStatement recovers; no other panic is
// recovered, and none escapes Parse for any input (see FuzzParse).
type parser struct {
	toks  []token
	i     int
	depth int
}

type bailout struct{ err *Error }

// Parse parses a script of statements separated by ';'. On errors it keeps going from the next
// ';' and returns every statement it could parse together with an ErrorList.
func Parse(src string) (*Script, error) {
	p := &parser{toks: lex(src)}
	script := &Script{}
	var errs ErrorList
	for {
		for p.isOp(";") {
			p.i++
		}
		if p.tok().kind == tokEOF {
			break
		}
		st, err := p.parseStatement()
		if err != nil {
			errs = append(errs, err)
			p.skipStatement()
			continue
		}
		script.Statements = append(script.Statements, st)
	}
	if len(errs) > 0 {
		return script, errs
	}
	return script, nil
}

func (p *parser) parseStatement() (st Statement, err *Error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			st, err = nil, b.err
		}
	}()
	p.depth = 0
	st = p.statement()
	if !p.isOp(";") && p.tok().kind != tokEOF {
		p.fail("';' or end of input")
	}
	return st, nil
}

// skipStatement advances past the next ';' (or to the end).
func (p *parser) skipStatement() {
	for p.tok().kind != tokEOF && !p.isOp(";") {
		p.i++
	}
}

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) peekTok(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// prevEnd is the end position of the last consumed token.
func (p *parser) prevEnd() Span {
	if p.i == 0 {
		return p.toks[0].sp
	}
	return p.toks[p.i-1].sp
}

func (p *parser) from(start Span) Span { return span(start, p.prevEnd()) }

func (p *parser) fail(expected string) {
	t := p.tok()
	if t.kind == tokInvalid {
		panic(bailout{errorf(ErrSyntax, t.sp, "%s", t.text)})
	}
	panic(bailout{errorf(ErrSyntax, t.sp, "expected %s, found %s", expected, t.describe())})
}

func (p *parser) failAt(sp Span, kind error, format string, args ...any) {
	panic(bailout{errorf(kind, sp, format, args...)})
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.failAt(p.tok().sp, ErrSyntax, "expression nested too deeply (more than %d levels)", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// isKw reports whether the current token is the unquoted keyword kw (upper case).
func (p *parser) isKw(kw string) bool { return isKwTok(p.tok(), kw) }

func isKwTok(t token, kw string) bool {
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) isOp(op string) bool {
	t := p.tok()
	return t.kind == tokOp && t.text == op
}

func (p *parser) acceptKw(kws ...string) bool {
	for k, kw := range kws {
		if !isKwTok(p.peekTok(k), kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKw(kws ...string) token {
	t := p.tok()
	for _, kw := range kws {
		if !p.isKw(kw) {
			p.fail(strings.Join(kws, " "))
		}
		p.i++
	}
	return t
}

// closeList expects the ')' ending a comma-separated list.
func (p *parser) closeList() {
	if !p.isOp(")") {
		p.fail("',' or ')'")
	}
	p.i++
}

func (p *parser) expectOp(op string) token {
	if !p.isOp(op) {
		p.fail(fmt.Sprintf("'%s'", op))
	}
	return p.next()
}

// ident parses a (possibly quoted) identifier that is not a reserved word.
func (p *parser) ident(what string) *Ident {
	t := p.tok()
	switch {
	case t.kind == tokQuotedIdent:
		p.i++
		return &Ident{Name: t.text, Quoted: true, Sp: t.sp}
	case t.kind == tokIdent && !isReserved(t.text):
		p.i++
		return &Ident{Name: t.text, Sp: t.sp}
	}
	p.fail(what)
	return nil
}

// isIdentStart reports whether the current token can start an identifier.
func (p *parser) isIdentStart() bool {
	t := p.tok()
	return t.kind == tokQuotedIdent || t.kind == tokIdent && !isReserved(t.text)
}

func (p *parser) identList(what string) []*Ident {
	p.expectOp("(")
	var out []*Ident
	for {
		out = append(out, p.ident(what))
		if !p.acceptOp(",") {
			break
		}
	}
	p.closeList()
	return out
}

func (p *parser) stringLit(what string) *StringLit {
	t := p.tok()
	if t.kind != tokString {
		p.fail(what)
	}
	p.i++
	return &StringLit{Value: t.text, Sp: t.sp}
}

// statement dispatches on the first keyword.
func (p *parser) statement() Statement {
	switch {
	case p.isKw("CREATE"):
		return p.create()
	case p.isKw("INSERT"):
		return p.insert()
	case p.isKw("EXECUTE"):
		return p.statementSet()
	case p.isKw("BEGIN"):
		return p.beginStatementSet()
	case p.isKw("EXPLAIN"):
		start := p.next().sp
		p.acceptKw("PLAN", "FOR")
		if p.isKw("EXPLAIN") {
			p.fail("statement to explain")
		}
		inner := p.statement()
		return &Explain{Stmt: inner, Sp: p.from(start)}
	case p.isKw("SELECT") || p.isKw("WITH") || p.isKw("VALUES") || p.isOp("("):
		return &QueryStmt{Query: p.query()}
	}
	p.fail("CREATE, INSERT, EXECUTE STATEMENT SET, BEGIN STATEMENT SET, EXPLAIN or SELECT")
	return nil
}

func (p *parser) insert() *Insert {
	start := p.expectKw("INSERT").sp
	ins := &Insert{}
	switch {
	case p.acceptKw("INTO"):
	case p.acceptKw("OVERWRITE"):
		ins.Overwrite = true
	default:
		p.fail("INTO or OVERWRITE")
	}
	ins.Table = p.ident("table name")
	if p.isOp("(") && !p.startsQuery(1) {
		ins.Columns = p.identList("column name")
	}
	ins.Query = p.query()
	ins.Sp = p.from(start)
	return ins
}

// startsQuery reports whether the token k ahead starts a query.
func (p *parser) startsQuery(k int) bool {
	t := p.peekTok(k)
	return isKwTok(t, "SELECT") || isKwTok(t, "WITH") || isKwTok(t, "VALUES") ||
		t.kind == tokOp && t.text == "(" && p.startsQuery(k+1)
}

// statementSet parses EXECUTE STATEMENT SET BEGIN insert; ... END.
func (p *parser) statementSet() *StatementSet {
	start := p.expectKw("EXECUTE", "STATEMENT", "SET", "BEGIN").sp
	return p.statementSetBody(start)
}

// beginStatementSet parses BEGIN STATEMENT SET; insert; ... END.
func (p *parser) beginStatementSet() *StatementSet {
	start := p.expectKw("BEGIN", "STATEMENT", "SET").sp
	p.expectOp(";")
	return p.statementSetBody(start)
}

func (p *parser) statementSetBody(start Span) *StatementSet {
	set := &StatementSet{}
	for {
		for p.acceptOp(";") {
		}
		if p.acceptKw("END") {
			break
		}
		if !p.isKw("INSERT") {
			p.fail("INSERT or END")
		}
		set.Inserts = append(set.Inserts, p.insert())
		if !p.isOp(";") && !p.isKw("END") {
			p.fail("';' or END")
		}
	}
	if len(set.Inserts) == 0 {
		p.failAt(p.from(start), ErrSyntax, "statement set has no INSERT statements")
	}
	set.Sp = p.from(start)
	return set
}
