// Package chaoscheck proves the exactly-once outcome of a chaos run: the sink table holds, for
// every key, the sequence numbers First, First+1, ... each exactly once — no gap (a lost
// record), no duplicate (a record committed twice) — and, when the expected counts are known,
// nothing missing at the tail and no unexpected key.
//
// The chaos suite's job writes (key, seq) rows from a deterministic generator through an
// exactly-once sink while workers, leaders and the database connection are killed; afterwards
// CheckTable reads the table in (key, seq) order and Report explains every violation.
package chaoscheck
