package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/catalogue/catalogue/projections"
)

// list is one of the paged lists: a FROM clause with its filters, and the
// order (a text key, then a position) that its cursors follow. The filters
// are only those a query sets, so that each query's plan can use the index
// of its own filter instead of a generic plan for every combination.
type list struct {
	name  string   // projections.ListItems …
	from  string   // FROM … (joins)
	where []string // conditions, ANDed
	args  pgx.NamedArgs
	cols  string // the columns the scan reads
	key   string // the text key of the order ("" for the log's)
	pos   string // the position of the order ("" for bodies: codes are unique)
	total bool   // count every match (the log has no total)
	extra string // joins needed only by the rows of the page
	base  string // the alias of the table in from that extra joins to
}

func (l *list) filter(cond string, name string, value any) {
	l.where = append(l.where, cond)
	if name != "" {
		l.args[name] = value
	}
}

func (l *list) whereSQL(extra ...string) string {
	conds := append(append([]string{}, l.where...), extra...)
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func (l *list) orderSQL() string {
	switch {
	case l.key == "":
		return l.pos
	case l.pos == "":
		return l.key
	}
	return l.key + ", " + l.pos
}

// page reads the rows of page p (all rows when p is nil) and, if the list
// counts, the total: both statements in one round trip. scan reads a row
// and returns it with its cursor.
func page[T any](ctx context.Context, db DB, l *list, p *projections.Page, scan func(pgx.Rows) (T, projections.Cursor, error)) ([]T, int, projections.PageInfo, error) {
	size := -1
	var after projections.Cursor
	var from bool
	if p != nil {
		var err error
		if size, err = p.Size(); err != nil {
			return nil, 0, projections.PageInfo{}, err
		}
		if after, from, err = projections.DecodeCursor(l.name, p.After); err != nil {
			return nil, 0, projections.PageInfo{}, err
		}
		// PostgreSQL text holds no NUL, so no row here has a key with one:
		// such a cursor was forged, and PostgreSQL would refuse to compare
		// with it (an internal error) rather than answer.
		if strings.IndexByte(after.Key, 0) >= 0 {
			return nil, 0, projections.PageInfo{}, projections.NotACursor()
		}
	}
	var cursor []string
	if from {
		switch {
		case l.key == "":
			cursor = append(cursor, l.pos+" > @after_pos")
		case l.pos == "":
			cursor = append(cursor, l.key+" > @after_key")
			l.args["after_key"] = after.Key
		default:
			cursor = append(cursor, "("+l.key+", "+l.pos+") > (@after_key, @after_pos)")
			l.args["after_key"] = after.Key
		}
		l.args["after_pos"] = pos(after.Pos)
	}
	limit := ""
	if size >= 0 {
		l.args["limit"] = size + 1
		limit = " LIMIT @limit"
	}
	// The page is chosen on the base table alone, then joined: the planner
	// cannot estimate a status filter (a CASE), and would otherwise join
	// every matching row before it sorts and cuts.
	query := "SELECT " + l.cols + " " + l.from + l.extra + l.whereSQL(cursor...) + " ORDER BY " + l.orderSQL() + limit
	if l.extra != "" {
		query = "SELECT " + l.cols + " FROM (SELECT " + l.base + ".* " + l.from + l.whereSQL(cursor...) +
			" ORDER BY " + l.orderSQL() + limit + ") " + l.base + l.extra + " ORDER BY " + l.orderSQL()
	}
	b := &pgx.Batch{}
	if l.total {
		b.Queue("SELECT count(*) "+l.from+l.whereSQL(), l.args)
	}
	b.Queue(query, l.args)
	res := db.SendBatch(ctx, b)
	defer res.Close()
	total := 0
	if l.total {
		if err := res.QueryRow().Scan(&total); err != nil {
			return nil, 0, projections.PageInfo{}, err
		}
	}
	rows, err := res.Query()
	if err != nil {
		return nil, 0, projections.PageInfo{}, err
	}
	defer rows.Close()
	var out []T // nil when empty, as the memory store's pages
	var info projections.PageInfo
	var last projections.Cursor
	for rows.Next() {
		if size >= 0 && len(out) == size {
			info.HasNextPage = true
			break
		}
		v, c, err := scan(rows)
		if err != nil {
			return nil, 0, projections.PageInfo{}, err
		}
		out = append(out, v)
		last = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, projections.PageInfo{}, err
	}
	if len(out) > 0 {
		info.EndCursor = projections.EncodeCursor(l.name, last)
	}
	return out, total, info, res.Close()
}
