package sql

import (
	"os"
	"strings"
	"testing"
)

// TestConnectorDocExamplesValidate checks that the SQL examples of the connector sections of
// docs/sql.md validate.
func TestConnectorDocExamplesValidate(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/sql.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"### filesystem", "### postgres", "### kafka"} {
		_, rest, ok := strings.Cut(string(doc), "\n"+section+"\n")
		if !ok {
			t.Fatalf("docs/sql.md has no section %q", section)
		}
		rest, _, _ = strings.Cut(rest, "\n##")
		_, block, ok := strings.Cut(rest, "```sql\n")
		if !ok {
			t.Fatalf("section %q has no SQL example", section)
		}
		block, _, _ = strings.Cut(block, "```")
		if _, err := Analyze(block); err != nil {
			t.Errorf("%s example: %v", section, err)
		}
	}
}
