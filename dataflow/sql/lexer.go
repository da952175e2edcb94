package sql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// lexer turns source text into tokens. Comments (-- line, /* block */) and whitespace are skipped.
type lexer struct {
	src  string
	pos  Pos
	toks []token
}

// lex tokenizes src; the token list always ends with tokEOF. A lexical error becomes a
// tokInvalid token whose text is the message, so the parser reports it where it meets it and
// recovers at the next ';' like after any syntax error.
func lex(src string) []token {
	l := &lexer{src: src, pos: Pos{Line: 1, Col: 1}}
	for {
		if err := l.skipSpace(); err != nil {
			l.invalid(err)
			continue
		}
		if l.pos.Off >= len(l.src) {
			l.toks = append(l.toks, token{kind: tokEOF, sp: Span{l.pos, l.pos}})
			return l.toks
		}
		if err := l.next(); err != nil {
			l.invalid(err)
		}
	}
}

func (l *lexer) invalid(err *Error) {
	l.toks = append(l.toks, token{kind: tokInvalid, text: err.Msg, sp: err.Span})
}

func (l *lexer) peek(k int) byte {
	if l.pos.Off+k < len(l.src) {
		return l.src[l.pos.Off+k]
	}
	return 0
}

// advance moves past one rune.
func (l *lexer) advance() {
	r, n := utf8.DecodeRuneInString(l.src[l.pos.Off:])
	l.pos.Off += n
	if r == '\n' {
		l.pos.Line++
		l.pos.Col = 1
	} else {
		l.pos.Col++
	}
}

func (l *lexer) skipSpace() *Error {
	for l.pos.Off < len(l.src) {
		c := l.peek(0)
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			l.advance()
		case c == '-' && l.peek(1) == '-':
			for l.pos.Off < len(l.src) && l.peek(0) != '\n' {
				l.advance()
			}
		case c == '/' && l.peek(1) == '*':
			start := l.pos
			l.advance()
			l.advance()
			for !(l.peek(0) == '*' && l.peek(1) == '/') {
				if l.pos.Off >= len(l.src) {
					return errorf(ErrSyntax, Span{start, l.pos}, "unterminated comment: expected */, found end of input")
				}
				l.advance()
			}
			l.advance()
			l.advance()
		default:
			return nil
		}
	}
	return nil
}

func (l *lexer) emit(kind tokenKind, text string, start Pos) {
	l.toks = append(l.toks, token{kind: kind, text: text, sp: Span{start, l.pos}})
}

func (l *lexer) next() *Error {
	start := l.pos
	c := l.peek(0)
	switch {
	case c == '\'':
		return l.quoted('\'', tokString, "string")
	case c == '`':
		return l.quoted('`', tokQuotedIdent, "quoted identifier")
	case c >= '0' && c <= '9' || c == '.' && isDigit(l.peek(1)):
		return l.number()
	case c == '_' || c < utf8.RuneSelf && isLetter(c):
		for isIdentByte(l.peek(0)) {
			l.advance()
		}
		l.emit(tokIdent, l.src[start.Off:l.pos.Off], start)
		return nil
	}
	for _, op := range []string{"<>", "<=", ">=", "!=", "||", "=>"} {
		if strings.HasPrefix(l.src[l.pos.Off:], op) {
			l.advance()
			l.advance()
			l.emit(tokOp, op, start)
			return nil
		}
	}
	if strings.IndexByte("+-*/%=<>(),.;[]", c) >= 0 {
		l.advance()
		l.emit(tokOp, string(c), start)
		return nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos.Off:])
	if unicode.IsLetter(r) {
		for l.pos.Off < len(l.src) {
			r, _ := utf8.DecodeRuneInString(l.src[l.pos.Off:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
				break
			}
			l.advance()
		}
		l.emit(tokIdent, l.src[start.Off:l.pos.Off], start)
		return nil
	}
	l.advance()
	if r == '"' {
		return errorf(ErrSyntax, Span{start, l.pos}, "unexpected character '\"': quote identifiers with backticks (`name`) and strings with single quotes ('text')")
	}
	return errorf(ErrSyntax, Span{start, l.pos}, "unexpected character %q", r)
}

// quoted reads a string or backtick identifier; a doubled quote stands for itself.
func (l *lexer) quoted(q byte, kind tokenKind, what string) *Error {
	start := l.pos
	l.advance()
	var b strings.Builder
	for {
		if l.pos.Off >= len(l.src) {
			return errorf(ErrSyntax, Span{start, l.pos}, "unterminated %s: expected %c, found end of input", what, q)
		}
		c := l.peek(0)
		if c == q {
			if l.peek(1) == q {
				b.WriteByte(q)
				l.advance()
				l.advance()
				continue
			}
			l.advance()
			break
		}
		_, n := utf8.DecodeRuneInString(l.src[l.pos.Off:])
		b.WriteString(l.src[l.pos.Off : l.pos.Off+n])
		l.advance()
	}
	if kind == tokQuotedIdent && b.Len() == 0 {
		return errorf(ErrSyntax, Span{start, l.pos}, "empty quoted identifier")
	}
	l.emit(kind, b.String(), start)
	return nil
}

func (l *lexer) number() *Error {
	start := l.pos
	for isDigit(l.peek(0)) {
		l.advance()
	}
	if l.peek(0) == '.' && isDigit(l.peek(1)) || l.peek(0) == '.' && !isIdentByte(l.peek(1)) && l.pos.Off > start.Off {
		l.advance()
		for isDigit(l.peek(0)) {
			l.advance()
		}
	}
	if c := l.peek(0); c == 'e' || c == 'E' {
		k := 1
		if s := l.peek(1); s == '+' || s == '-' {
			k = 2
		}
		if isDigit(l.peek(k)) {
			for ; k > 0; k-- {
				l.advance()
			}
			for isDigit(l.peek(0)) {
				l.advance()
			}
		}
	}
	if isIdentByte(l.peek(0)) {
		for isIdentByte(l.peek(0)) {
			l.advance()
		}
		return errorf(ErrSyntax, Span{start, l.pos}, "malformed number %s", l.src[start.Off:l.pos.Off])
	}
	l.emit(tokNumber, l.src[start.Off:l.pos.Off], start)
	return nil
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_'
}
