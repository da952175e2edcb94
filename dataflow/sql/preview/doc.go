// Package preview runs an interactive SQL query (sql.CompilePreview) in-process, as the API
// server does for the console's SQL editor: every subtask of the graph runs on the task runtime
// with an in-memory exchange and the exec operators, and the run stops after MaxRows rows, after
// Timeout, or at the end of its (bounded) input, whichever comes first.
//
// Only sources that need no endpoint can be previewed (datagen, nexmark, VALUES; the compiler
// refuses the others), so a preview never opens a connection from the API server.
package preview
