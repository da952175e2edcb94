package sql

import "strings"

// reserved words cannot be used as unquoted identifiers or implicit aliases; the printer quotes
// identifiers that collide with them. The list follows Flink's reserved keywords where they matter
// for this dialect.
var reserved = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`ALL AND ARRAY AS ASC BEGIN BETWEEN BY CASE CAST CREATE CROSS
		CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DAY DESC DESCRIPTOR DISTINCT ELSE END
		EXCEPT EXECUTE EXISTS EXPLAIN EXTRACT FALSE FETCH FILTER FOR FROM FULL FUNCTION GROUP HAVING
		HOUR IF IN INNER INSERT INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE LIMIT
		LOCALTIMESTAMP MINUTE MONTH NATURAL NOT NULL OFFSET ON OR ORDER OUTER OVER OVERWRITE PARTITION
		PRIMARY RIGHT ROW ROWS SECOND SELECT SET SYSTEM_TIME TABLE THEN TO TRUE UNION UNKNOWN USING
		VALUE VALUES VIEW WATERMARK WHEN WHERE WINDOW WITH YEAR`) {
		reserved[w] = true
	}
}

func upper(s string) string { return strings.ToUpper(s) }

func isReserved(word string) bool { return reserved[upper(word)] }

// needsQuote reports whether an identifier must be written with backticks.
func needsQuote(name string) bool {
	if name == "" || isReserved(name) {
		return true
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isLetter(c) || c == '_' || i > 0 && isDigit(c)) {
			return true
		}
	}
	return false
}
