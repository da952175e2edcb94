// Package preview runs an interactive SQL query (sql.CompilePreview) in-process, as the API
// server does for the console's SQL editor: every subtask of the graph runs on the task runtime
// with an in-memory exchange and the exec operators, and the run stops after MaxRows rows, after
// Timeout, or at the end of its (bounded) input, whichever comes first.
//
// Sources: datagen, nexmark, VALUES, and postgres and kafka tables, which connect through
// Connect (the server's integration resolver and egress-guarded dialer). Filesystem tables are
// refused by the compiler: their files live on the workers.
package preview
