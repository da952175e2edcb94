// Package sqlcheck checks an application version's SQL before it is stored: the CREATE TABLE
// statements of its sources and sinks and its INSERT statement(s) are joined into one script, run
// through a Validator, and each diagnostic is mapped back to the text it is in (statement,
// sources[i], sinks[i]) with 1-based line and column.
//
// Minimal is a syntax-level validator (statement splitter, quotes, comments, brackets, leading
// keywords). The real parser (dataflow/sql.Validate) can replace it behind the Validator interface.
package sqlcheck
