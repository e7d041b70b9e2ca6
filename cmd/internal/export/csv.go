package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
)

// writeCSV writes the header and every row, a record's cells repeated on
// each of its rows (CSV cannot merge, and a reader must not have to guess
// that an empty cell continues the row above). No title row: the first row
// of a CSV file is its header for every program that reads one. UTF-8 with
// a byte-order mark, CRLF line ends: what Excel and WPS open as UTF-8.
func writeCSV(ctx context.Context, t *table, w io.Writer, progress Progress) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	header := make([]string, len(t.columns))
	for i, c := range t.columns {
		header[i] = c.name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for i, g := range t.groups {
		if i%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			progress("writing", i, len(t.groups))
		}
		if err := cw.WriteAll(g); err != nil {
			return err
		}
	}
	progress("writing", len(t.groups), len(t.groups))
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
