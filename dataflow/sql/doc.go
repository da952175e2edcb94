// Package sql implements Flowplane's Flink SQL dialect: a hand-written lexer and recursive-descent
// parser with exact source positions, a canonical printer, a binder that type-checks statements
// against a catalog built from their CREATE TABLE and CREATE VIEW statements, and a planner that
// compiles INSERT statements into the shared job graph (dataflow.JobGraph).
//
// Entry points:
//
//   - Parse(src) parses a script of ';'-separated statements into a *Script.
//   - Print(node) and PrintScript(script) render the AST back to canonical SQL; printing is a
//     fixed point: PrintScript(Parse(PrintScript(s))) == PrintScript(s).
//   - Validate(src) parses and binds a script and returns []Diagnostic, each with a message and a
//     1-based line/column range. The control plane's POST .../versions/validate calls it and
//     returns the diagnostics as they are.
//   - ValidateParts(parts) and CompileParts(parts, opts) do the same for a version stored as
//     separate pieces (table DDL, statement), reporting positions relative to each piece.
//   - CompilePreview(parts, opts) compiles one SELECT against the tables of the other parts into a
//     graph ending in a preview sink (run by package preview); IntegrationRefs(parts) lists the
//     'integration' options with their positions, for the control plane to resolve.
//   - Analyze(src) parses and binds a script into a *Program (catalog and one logical plan per
//     INSERT); Summarize(prog) lists the tables it reads and writes and their integrations.
//   - Compile(src, opts) validates and plans a script into a *dataflow.JobGraph, returning
//     diagnostics instead when it is invalid; ExplainPlan(src, opts) renders both plans.
//
// The operator kinds the planner emits, and their JSON configs, are documented in
// operators.go; the dialect itself in docs/sql.md. Subpackage eval evaluates the expressions
// in those configs; subpackage exec implements the operators for the task runtime.
//
// Errors are *Error values carrying a Span; errors.Is(err, ErrSyntax) (and the other sentinels in
// errors.go) classify them. Parse returns an ErrorList when a script has several errors.
package sql
