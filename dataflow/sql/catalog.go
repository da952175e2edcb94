package sql

// TableColumn is a column of a catalog table. Computed columns carry their bound expression
// over the table's physical columns.
type TableColumn struct {
	Name     string
	Type     Type
	Computed Rex // nil for physical columns
	Metadata string
	Virtual  bool
	Sp       Span
}

// Table is a table declared with CREATE TABLE.
type Table struct {
	Name          string
	Columns       []TableColumn
	Rowtime       string // the WATERMARK FOR column, if any
	Watermark     Rex    // watermark expression over the table's columns
	PrimaryKey    []string
	PartitionedBy []string
	Connector     string
	Options       map[string]string
	Decl          *CreateTable
}

// View is a view declared with CREATE VIEW.
type View struct {
	Name string
	Decl *CreateView
	Rel  Rel // bound once, reused by every reference
}

// Catalog holds the tables and views of a script, in declaration order.
type Catalog struct {
	Tables map[string]*Table
	Views  map[string]*View
	Order  []string
}

func newCatalog() *Catalog {
	return &Catalog{Tables: map[string]*Table{}, Views: map[string]*View{}}
}

func (c *Catalog) exists(name string) bool {
	return c.Tables[name] != nil || c.Views[name] != nil
}

// columnIndex returns the position of the named column, or -1.
func (t *Table) columnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}
