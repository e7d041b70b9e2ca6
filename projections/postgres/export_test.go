package postgres

import (
	"github.com/catalogue/catalogue/domain"
)

// EncodeLogRows encodes rows of the log table (in the column order of
// logColumns, values as the benchmarks' logRows builds them) with the
// writer's own COPY encoder, copyRows: the hand-written side of
// BenchmarkCopyLog. The values are taken out of their interfaces by type
// assertion, which the writer does not pay; the comparison is therefore,
// if anything, tilted against the hand-written encoder.
func EncodeLogRows(rows [][]any) []byte {
	var r copyRows
	for _, row := range rows {
		r.row(len(row))
		r.int8(row[0].(int64))
		r.uuid(row[1].([16]byte))
		r.text(row[2].(string))
		r.int8(row[3].(int64))
		r.text(row[4].(string))
		r.bytea(row[5].([]byte))
		r.text(row[6].(string))
		r.textArray(row[7].([]string))
		r.text(row[8].(string))
		r.text(row[9].(string))
		r.date(domain.Date{}) // effective_from: logRows leaves it NULL
		r.text(row[11].(string))
		r.text(row[12].(string))
		r.text(row[13].(string))
		r.text(row[14].(string))
		r.int8(row[15].(int64))
		r.int8(row[16].(int64))
		r.bool(row[17].(bool))
	}
	return r.finish()
}
