package sql

import "fmt"

// Pos is a position in the source: 1-based line and column (in runes) and 0-based byte offset.
type Pos struct {
	Line, Col, Off int
}

// Span is the source range [Start, End) of a token or node.
type Span struct {
	Start, End Pos
}

func span(a, b Span) Span { return Span{Start: a.Start, End: b.End} }

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokQuotedIdent
	tokString
	tokNumber
	tokOp      // punctuation and operators
	tokInvalid // a lexical error; text is the message
)

type token struct {
	kind tokenKind
	text string // identifier name, unescaped string value, number text or operator
	sp   Span
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokIdent:
		if isReserved(t.text) {
			return fmt.Sprintf("keyword %s", upper(t.text))
		}
		return fmt.Sprintf("identifier %s", t.text)
	case tokQuotedIdent:
		return fmt.Sprintf("identifier `%s`", t.text)
	case tokString:
		return fmt.Sprintf("string '%s'", truncate(t.text, 20))
	case tokNumber:
		return fmt.Sprintf("number %s", t.text)
	default:
		return fmt.Sprintf("'%s'", t.text)
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "..."
}
