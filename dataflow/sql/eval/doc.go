// Package eval evaluates the scalar expressions the SQL planner puts into operator configs
// (the JSON form of sql.Rex) over rows of Go values, with SQL semantics: NULL propagation,
// three-valued logic, Flink's function library. Operators decode an expression once with
// Decode and call Eval per row.
//
// Values, by logical type (nil is NULL everywhere):
//
//	BOOLEAN                        bool
//	TINYINT, SMALLINT, INT, BIGINT int64
//	FLOAT, DOUBLE                  float64
//	DECIMAL(p, s)                  *big.Rat, rounded half-up to scale s
//	STRING                         string
//	BYTES                          []byte
//	DATE                           int64 days since 1970-01-01
//	TIME                           int64 milliseconds of the day
//	TIMESTAMP, TIMESTAMP_LTZ       int64 milliseconds since the epoch (UTC)
//	INTERVAL DAY TO SECOND         int64 milliseconds
//	INTERVAL YEAR TO MONTH         int64 months
package eval
