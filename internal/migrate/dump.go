package migrate

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Export and Import move the whole state of a store, either dialect, to a
// file and back, driven by the schema: every table of the database but
// the ephemeral ones (the schema's own migrations table, the replay
// windows, the rate-limit buckets) — tables added by later migrations
// included, with no list to keep. The file is JSON lines:
//
//	{"format":"localyun-export","version":1,"schema":"0010","key":"…"}
//	{"table":"accounts","columns":["created_at","id","name"]}
//	[1700000000,"1234567890123456","dev"]
//	…
//	{"end":true,"tables":N,"rows":M}
//
// Columns are in name order and rows in the order of their columns' values
// (binary text order, NULL first), so one state gives one file whichever
// dialect holds it. Values are as stored: numbers, strings, {"b":base64}
// for bytes, booleans as 0 and 1; secrets stay sealed by the store's
// master key, whose fingerprint the header carries (key) so that Import
// refuses a file sealed under another key.

// Dialect names a store's SQL dialect.
type Dialect string

// The dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

const exportFormat = "localyun-export"

// ephemeral are the tables that hold no state worth moving.
var ephemeral = []string{"migrations", "nonces", "replay_keys", "rate_limits"}

// header is the first line of an export.
type header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Schema  string `json:"schema"`
	Key     string `json:"key"`
}

type tableLine struct {
	Table   string   `json:"table,omitempty"`
	Columns []string `json:"columns,omitempty"`
	End     bool     `json:"end,omitempty"`
	Tables  int      `json:"tables,omitempty"`
	Rows    int      `json:"rows,omitempty"`
}

// Export writes every table of db (dialect d) to w, from one consistent
// snapshot; keyID is the fingerprint of the master key that sealed its
// secrets (KeyID). It returns the rows written per table.
func Export(ctx context.Context, db *sql.DB, d Dialect, keyID string, w io.Writer) (Result, error) {
	res := Result{Rows: map[string]int{}}
	var opts *sql.TxOptions
	if d == Postgres {
		opts = &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	schema, err := schemaVersion(ctx, tx)
	if err != nil {
		return res, err
	}
	tables, err := orderedTables(ctx, tx, d)
	if err != nil {
		return res, err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(header{Format: exportFormat, Version: 1, Schema: schema, Key: keyID}); err != nil {
		return res, err
	}
	total := 0
	for _, t := range tables {
		n, err := exportTable(ctx, tx, d, t, enc)
		if err != nil {
			return res, fmt.Errorf("table %s: %w", t, err)
		}
		res.Tables, res.Rows[t] = append(res.Tables, t), n
		total += n
	}
	if err := enc.Encode(tableLine{End: true, Tables: len(tables), Rows: total}); err != nil {
		return res, err
	}
	return res, bw.Flush()
}

// exportTable writes one table's column line and rows.
func exportTable(ctx context.Context, tx *sql.Tx, d Dialect, table string, enc *json.Encoder) (int, error) {
	cols, err := columns(ctx, tx, d, table)
	if err != nil {
		return 0, err
	}
	names := make([]string, 0, len(cols))
	order := make([]string, 0, len(cols))
	for _, c := range cols {
		names = append(names, c.name)
		if d == Postgres {
			coll := ""
			if c.kind == "text" {
				coll = ` COLLATE "C"`
			}
			order = append(order, quote(c.name)+coll+" NULLS FIRST")
		} else {
			order = append(order, quote(c.name)+" COLLATE BINARY")
		}
	}
	if err := enc.Encode(tableLine{Table: table, Columns: names}); err != nil {
		return 0, err
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = quote(n)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+quote(table)+` ORDER BY `+strings.Join(order, ", "))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = exportValue(v)
		}
		if err := enc.Encode(out); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// bytesValue is a byte string in an export.
type bytesValue struct {
	B string `json:"b"`
}

// exportValue is v as the file holds it.
func exportValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return bytesValue{B: base64.StdEncoding.EncodeToString(x)}
	case bool:
		if x {
			return 1
		}
		return 0
	}
	return v
}

// column is one writable column of a table.
type column struct {
	name     string
	kind     string // int, float, bool, bytes, text
	identity bool   // PostgreSQL GENERATED ALWAYS AS IDENTITY
}

// columns returns the writable columns of table, in name order.
func columns(ctx context.Context, tx *sql.Tx, d Dialect, table string) ([]column, error) {
	var out []column
	if d == Postgres {
		pg, err := pgColumns(ctx, tx, table)
		if err != nil {
			return nil, err
		}
		for name, c := range pg {
			out = append(out, column{name: name, kind: pgKind(c.dataType), identity: c.identity})
		}
	} else {
		rows, err := tx.QueryContext(ctx, `SELECT name, type, hidden FROM pragma_table_xinfo(?)`, table)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var name, typ string
			var hidden int
			if err := rows.Scan(&name, &typ, &hidden); err != nil {
				return nil, err
			}
			if hidden == 0 { // 2, 3: generated
				out = append(out, column{name: name, kind: sqliteKind(typ)})
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no such table")
	}
	slices.SortFunc(out, func(a, b column) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

func pgKind(t string) string {
	switch t {
	case "bigint", "integer", "smallint":
		return "int"
	case "double precision", "real", "numeric":
		return "float"
	case "boolean":
		return "bool"
	case "bytea":
		return "bytes"
	}
	return "text"
}

func sqliteKind(t string) string {
	t = strings.ToUpper(t)
	switch {
	case strings.Contains(t, "INT"):
		return "int"
	case strings.Contains(t, "BLOB"):
		return "bytes"
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return "float"
	}
	return "text"
}

// schemaVersion is the number of the latest migration applied.
func schemaVersion(ctx context.Context, tx *sql.Tx) (string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM migrations`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	latest := ""
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return "", err
		}
		base := name[strings.LastIndex(name, "/")+1:]
		if num, _, ok := strings.Cut(base, "_"); ok && num > latest {
			latest = num
		}
	}
	return latest, rows.Err()
}

// orderedTables returns the tables to move, each after the tables its
// foreign keys name (then in name order).
func orderedTables(ctx context.Context, tx *sql.Tx, d Dialect) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	fk := `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`
	if d == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
		fk = `SELECT DISTINCT c.confrelid::regclass::text FROM pg_constraint c
			WHERE c.contype = 'f' AND c.conrelid = to_regclass(quote_ident($1))`
	}
	names, err := strings1(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	names = slices.DeleteFunc(names, func(n string) bool { return slices.Contains(ephemeral, n) })
	slices.Sort(names)
	deps := map[string][]string{}
	for _, n := range names {
		if deps[n], err = strings1(ctx, tx, fk, n); err != nil {
			return nil, err
		}
	}
	var out []string
	done := map[string]bool{}
	for len(out) < len(names) {
		progress := false
		for _, n := range names {
			if done[n] || slices.ContainsFunc(deps[n], func(dep string) bool { return dep != n && !done[strings.Trim(dep, `"`)] }) {
				continue
			}
			done[n], progress = true, true
			out = append(out, n)
		}
		if !progress {
			return nil, errors.New("the tables' foreign keys form a cycle")
		}
	}
	return out, nil
}

// strings1 returns the one text column of a query's rows.
func strings1(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ErrNotEmpty is Import's refusal of a store that holds state, without
// replace.
var ErrNotEmpty = errors.New("the store is not empty")

// Import reads an export from r into db (dialect d) in one transaction:
// the whole file or nothing. The database must be migrated to the
// export's schema version, and keyID (KeyID of its master key) must be the
// export's. A store holding any row is refused (ErrNotEmpty) unless
// replace, which empties every table first, in the same transaction.
func Import(ctx context.Context, db *sql.DB, d Dialect, keyID string, r io.Reader, replace bool) (Result, error) {
	res := Result{Rows: map[string]int{}}
	dec := json.NewDecoder(bufio.NewReader(r))
	dec.UseNumber()
	var h header
	if err := dec.Decode(&h); err != nil || h.Format != exportFormat {
		return res, fmt.Errorf("not a localyun export (%v)", err)
	}
	if h.Version != 1 {
		return res, fmt.Errorf("export format version %d: this localyun reads version 1", h.Version)
	}
	if h.Key != keyID {
		return res, errors.New("the export's secrets are sealed under another master key: pass the --master-key-file of the exported store")
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	if schema, err := schemaVersion(ctx, tx); err != nil {
		return res, err
	} else if schema != h.Schema {
		return res, fmt.Errorf("the export is of schema %s, this store's is %s: import with the localyun version that exported it", h.Schema, schema)
	}
	if err := prepareTarget(ctx, tx, d, replace); err != nil {
		return res, err
	}
	if err := importTables(ctx, tx, d, dec, &res); err != nil {
		return res, err
	}
	return res, tx.Commit()
}

// prepareTarget refuses a store holding rows, or empties it (replace).
func prepareTarget(ctx context.Context, tx *sql.Tx, d Dialect, replace bool) error {
	if d == SQLite {
		// Rows may come in any order within a table; the keys are checked
		// at the commit.
		if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
	}
	tables, err := orderedTables(ctx, tx, d)
	if err != nil {
		return err
	}
	for _, t := range slices.Backward(tables) {
		if replace {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+quote(t)); err != nil {
				return fmt.Errorf("empty %s: %w", t, err)
			}
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quote(t)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: table %s holds %d rows (pass --replace to replace the whole state)", ErrNotEmpty, t, n)
		}
	}
	return nil
}

// importTables reads the tables of an export after its header: each
// table's line, then its rows (arrays), up to the end line.
func importTables(ctx context.Context, tx *sql.Tx, d Dialect, dec *json.Decoder, res *Result) error {
	total := 0
	var cur *inserter
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("the export is cut short or damaged: %w", err)
		}
		if len(raw) > 0 && raw[0] == '[' {
			if cur == nil {
				return errors.New("the export has a row before its first table")
			}
			if err := cur.insert(ctx, raw); err != nil {
				return fmt.Errorf("table %s: %w", cur.table, err)
			}
			total++
			continue
		}
		if cur != nil {
			if err := cur.finish(ctx, tx); err != nil {
				return fmt.Errorf("table %s: %w", cur.table, err)
			}
			res.Tables, res.Rows[cur.table] = append(res.Tables, cur.table), cur.n
			cur = nil
		}
		var tl tableLine
		if err := json.Unmarshal(raw, &tl); err != nil {
			return fmt.Errorf("the export is damaged: %w", err)
		}
		if tl.End {
			if tl.Tables != len(res.Tables) || tl.Rows != total {
				return fmt.Errorf("the export ends after %d tables and %d rows, it says %d and %d", len(res.Tables), total, tl.Tables, tl.Rows)
			}
			return nil
		}
		var err error
		if cur, err = newInserter(ctx, tx, d, tl); err != nil {
			return fmt.Errorf("table %s: %w", tl.Table, err)
		}
	}
}

// inserter inserts the rows of one table.
type inserter struct {
	table    string
	names    []string
	kinds    []column
	stmt     *sql.Stmt
	identity string // PostgreSQL's identity column: its sequence moves past the rows
	n        int
}

func newInserter(ctx context.Context, tx *sql.Tx, d Dialect, tl tableLine) (*inserter, error) {
	cols, err := columns(ctx, tx, d, tl.Table)
	if err != nil {
		return nil, err
	}
	in := &inserter{table: tl.Table, names: tl.Columns, kinds: make([]column, len(tl.Columns))}
	ph := make([]string, len(tl.Columns))
	quoted := make([]string, len(tl.Columns))
	override := ""
	for i, name := range tl.Columns {
		j := slices.IndexFunc(cols, func(c column) bool { return c.name == name })
		if j < 0 {
			return nil, fmt.Errorf("column %s is not in this store's schema", name)
		}
		in.kinds[i], quoted[i], ph[i] = cols[j], quote(name), "?"
		if d == Postgres {
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		if cols[j].identity {
			override, in.identity = " OVERRIDING SYSTEM VALUE", name
		}
	}
	in.stmt, err = tx.PrepareContext(ctx, `INSERT INTO `+quote(tl.Table)+` (`+strings.Join(quoted, ", ")+`)`+override+
		` VALUES (`+strings.Join(ph, ", ")+`)`)
	return in, err
}

// insert inserts one row, a JSON array.
func (in *inserter) insert(ctx context.Context, raw json.RawMessage) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var row []any
	if err := dec.Decode(&row); err != nil {
		return err
	}
	if len(row) != len(in.kinds) {
		return fmt.Errorf("row %d has %d values for %d columns", in.n+1, len(row), len(in.kinds))
	}
	args := make([]any, len(row))
	for i, v := range row {
		var err error
		if args[i], err = importValue(v, in.kinds[i].kind); err != nil {
			return fmt.Errorf("row %d, column %s: %w", in.n+1, in.names[i], err)
		}
	}
	if _, err := in.stmt.ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("row %d: %w", in.n+1, err)
	}
	in.n++
	return nil
}

// finish moves PostgreSQL's identity sequence past the rows inserted.
func (in *inserter) finish(ctx context.Context, tx *sql.Tx) error {
	defer in.stmt.Close()
	if in.identity == "" || in.n == 0 {
		return nil
	}
	return moveIdentity(ctx, tx, in.table, in.identity)
}

// importValue converts a value of the file to the column's kind.
func importValue(v any, kind string) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case json.Number:
		switch kind {
		case "bool":
			return x.String() != "0", nil
		case "float":
			return x.Float64()
		case "text":
			return x.String(), nil
		}
		return x.Int64()
	case string:
		if kind == "bytes" {
			return []byte(x), nil
		}
		return x, nil
	case map[string]any:
		s, ok := x["b"].(string)
		if !ok {
			return nil, errors.New("an object that is not {\"b\": base64}")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		if kind == "bytes" {
			return b, nil
		}
		return string(b), nil
	case bool:
		return x, nil
	}
	return nil, fmt.Errorf("unexpected value %T", v)
}

// KeyID is the fingerprint of a master key an export carries: it tells
// whether two keys are the same without telling the key.
func KeyID(masterKey []byte) string {
	h := sha256.Sum256(append([]byte("localyun export key id\x00"), masterKey...))
	return hex.EncodeToString(h[:8])
}
