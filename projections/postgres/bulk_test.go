package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/postgres/pgtest"
)

// A rebuild in bulk mode writes exactly the rows of a plain one, and
// EndBulk leaves the schema identical in structure to a freshly migrated
// one. Small batches, so that items change across many batches (their
// versions are then read back from the log, by the index bulk mode keeps).
func TestBulkRebuildSameRows(t *testing.T) {
	log, err := cityLogSmall()
	require.NoError(t, err)

	plain := newStore(t)
	want, err := projections.Rebuild(ctx, log, plain, projections.WithBatchSize(97))
	require.NoError(t, err)

	bulk := newStore(t)
	require.NoError(t, bulk.BeginBulk(ctx))
	in, err := bulk.InBulk(ctx)
	require.NoError(t, err)
	require.True(t, in)
	require.Less(t, indexCount(t, bulk.Schema()), indexCount(t, plain.Schema()), "BeginBulk drops indexes")
	got, err := projections.Rebuild(ctx, log, bulk, projections.WithBatchSize(97))
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.NoError(t, bulk.EndBulk(ctx))
	in, err = bulk.InBulk(ctx)
	require.NoError(t, err)
	require.False(t, in)

	requireSameRows(t, plain.Schema(), bulk.Schema())
	requireSameStructure(t, newStore(t).Schema(), bulk.Schema())
	requireSameStructure(t, plain.Schema(), bulk.Schema())
}

// A rebuild interrupted anywhere resumes: BeginBulk again changes nothing,
// a batch delivered twice is applied once, an EndBulk cut off at any point
// (some indexes built, some not; Apply goes on meanwhile) is completed by
// the next, and a further EndBulk is a no-op.
func TestBulkResumes(t *testing.T) {
	log, err := cityLogSmall()
	require.NoError(t, err)
	envs := decodeAll(t, log)
	plain := newStore(t)
	require.NoError(t, plain.Apply(ctx, envs))

	s := newStore(t)
	require.NoError(t, s.EndBulk(ctx), "a schema not in bulk mode: nothing to do")
	requireSameStructure(t, plain.Schema(), s.Schema())

	third := len(envs) / 3
	require.NoError(t, s.BeginBulk(ctx))
	dropped := indexCount(t, s.Schema())
	require.NoError(t, s.Apply(ctx, envs[:third]))
	require.NoError(t, s.BeginBulk(ctx), "a resumed rebuild begins bulk mode again")
	require.Equal(t, dropped, indexCount(t, s.Schema()))
	require.NoError(t, s.Apply(ctx, envs[third-10:2*third]), "a redelivery overlapping the checkpoint")

	step := (len(envs) - 2*third) / 4
	next := 2 * third
	for i, delay := range []time.Duration{0, 2 * time.Millisecond, 10 * time.Millisecond, 40 * time.Millisecond} {
		cut, cancel := context.WithTimeout(ctx, delay)
		err := s.EndBulk(cut)
		cancel()
		t.Logf("EndBulk cut after %v: %v (%d indexes)", delay, err, indexCount(t, s.Schema()))
		in, err := s.InBulk(ctx)
		require.NoError(t, err)
		if !in {
			require.NoError(t, s.BeginBulk(ctx), "attempt %d", i)
		}
		require.NoError(t, s.Apply(ctx, envs[next:next+step]))
		next += step
	}
	require.NoError(t, s.Apply(ctx, envs[next:]))
	require.NoError(t, s.EndBulk(ctx))
	require.NoError(t, s.EndBulk(ctx), "EndBulk again: a no-op")

	requireSameRows(t, plain.Schema(), s.Schema())
	requireSameStructure(t, plain.Schema(), s.Schema())
}

// Apply writes its rows by COPY (pgx's CopyFrom, binary format): every
// column type and edge value — NULL and early dates (before 1970 and
// 2000, the server's epoch) and late ones, empty and nil arrays, an empty
// string in an array, non-ASCII text, JSON — reads back as it was, in
// plain and in bulk mode, written in one batch or in two (marks and
// revocation then by UPDATE).
func TestApplyEncodesEveryColumn(t *testing.T) {
	at := time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.UTC)
	d := domain.MustDate
	events := []domain.Event{
		domain.ItemListed{ItemID: "item-ä", Code: "Ä-001", Name: "食品经营许可", Department: "市场监管局", Authority: "市场监督管理局",
			LegalBasis: "《食品安全法》", Level: domain.LevelMunicipal,
			SubItems: []domain.SubItem{{Code: "Ä-001-1", Name: "新办"}, {Code: "Ä-001-2", Name: "Change \"quoted\""}},
			Change:   domain.Change{Basis: "青政发〔2024〕7号", Reason: "初次", EffectiveFrom: d("1969-07-20")}},
		domain.ItemDelegated{ItemID: "item-ä", DelegationID: "d1", To: "370211", Mode: domain.ModeEntrust,
			EffectiveUntil: d("2262-12-31")},
		domain.ItemDelegated{ItemID: "item-ä", DelegationID: "d2", From: "370211", ParentDelegationID: "d1", To: "370211001",
			Mode: domain.ModeEntrust, Scope: []string{"x", "情形2", ""}, EffectiveUntil: d("1999-12-31"),
			Change: domain.Change{EffectiveFrom: d("2000-01-01")}},
		domain.DelegationAccepted{ItemID: "item-ä", DelegationID: "d1", Body: "370211", Change: domain.Change{EffectiveFrom: d("2024-02-29")}},
		domain.ItemRevoked{ItemID: "item-ä", Code: "Ä-001", Ended: []string{"d2"}, Change: domain.Change{EffectiveFrom: d("2025-01-01")}},
	}
	var envs []projections.Envelope
	for i, e := range events {
		typ, data, err := domain.Encode(e)
		require.NoError(t, err)
		envs = append(envs, projections.Envelope{
			RecordedEvent: eventstore.RecordedEvent{ID: eventstore.EventID("cmd", "item-ä", i), Stream: "item-item-ä", Revision: uint64(i),
				Position: eventstore.Position(i + 1), Type: typ, Data: data, RecordedAt: at.Add(time.Duration(i) * time.Nanosecond)},
			Event: e,
			Meta:  eventstore.Metadata{Actor: "张三", CommandID: fmt.Sprint("cmd-", i), CorrelationID: "corr", CausationID: ""},
		})
	}
	for _, bulk := range []bool{false, true} {
		for _, split := range []int{len(envs), 3} {
			t.Run(fmt.Sprintf("bulk=%v/split=%d", bulk, split), func(t *testing.T) {
				s := newStore(t)
				if bulk {
					require.NoError(t, s.BeginBulk(ctx))
				}
				require.NoError(t, s.Apply(ctx, envs[:split]))
				require.NoError(t, s.Apply(ctx, envs[split:]))
				q := func(sql string) []string {
					rows, err := pool.Query(ctx, strings.ReplaceAll(sql, "{s}.", pgx.Identifier{s.Schema()}.Sanitize()+"."))
					require.NoError(t, err)
					out, err := pgx.CollectRows(rows, pgx.RowTo[string])
					require.NoError(t, err)
					return out
				}
				var logWant []string
				for i, env := range envs {
					logWant = append(logWant, fmt.Sprintf("%d|%s|%s|%d|%s|%s|item-ä|%d|%s", i+1, env.ID, env.Stream, i, env.Type, env.Data,
						at.UnixNano()+int64(i), env.Meta.CommandID))
				}
				require.Equal(t, logWant, q(`SELECT concat_ws('|', position, event_id, stream, revision, type, convert_from(data, 'UTF8'),
					item_id, recorded_at, command_id) FROM {s}.log ORDER BY position`))
				require.Equal(t, []string{
					`1|{}|青政发〔2024〕7号|初次|1969-07-20|张三|corr||t`,
					`2|{370211}|||NULL|张三|corr||f`,
					`3|{370211,370211001}|||2000-01-01|张三|corr||f`,
					`4|{370211}|||2024-02-29|张三|corr||f`,
					`5|{370211001}|||2025-01-01|张三|corr||f`,
				}, q(`SELECT concat_ws('|', position, bodies, basis, reason, COALESCE(effective_from::text, 'NULL'), actor, correlation_id,
					causation_id, facts_change) FROM {s}.log ORDER BY position`))
				require.Equal(t, []string{fmt.Sprint(at.UnixNano() + 4)}, q(`SELECT DISTINCT high_water::text FROM {s}.log WHERE position = 5`))
				require.Equal(t, []string{`item-ä|Ä-001|1|1969-07-20|5|2025-01-01`},
					q(`SELECT concat_ws('|', id, code, listed_pos, listed_from, revoked_pos, revoked_from) FROM {s}.items`))
				require.Equal(t, []string{
					`d1|item-ä|Ä-001|||370211|ENTRUST|0|NULL|2262-12-31|||2|4|2024-02-29|NULL|NULL|NULL|NULL`,
					`d2|item-ä|Ä-001|370211|d1|370211001|ENTRUST|3|2000-01-01|1999-12-31|||3|NULL|NULL|NULL|NULL|5|2025-01-01`,
				}, q(`SELECT concat_ws('|', id, item_id, item_code, from_body, parent_id, to_body, upper(mode), cardinality(scope),
					COALESCE(effective_from::text, 'NULL'), effective_until, basis, reason, position,
					COALESCE(accepted_pos::text, 'NULL'), COALESCE(accepted_from::text, 'NULL'), COALESCE(withdrawn_pos::text, 'NULL'),
					COALESCE(withdrawn_from::text, 'NULL'), COALESCE(revoked_pos::text, 'NULL'), COALESCE(revoked_from::text, 'NULL'))
					FROM {s}.delegations ORDER BY id`))
				require.Equal(t, []string{`{}`, `{x,情形2,""}`}, q(`SELECT scope::text FROM {s}.delegations ORDER BY id`))
				require.Equal(t, []string{
					`item-ä|1|0|NULL|NULL|NULL|Ä-001|食品经营许可|市场监管局|市场监督管理局|《食品安全法》|` + string(domain.LevelMunicipal) + `|` +
						`[{"code": "Ä-001-1", "name": "新办"}, {"code": "Ä-001-2", "name": "Change \"quoted\""}]|` +
						`{Ä-001,ä-001,食品经营许可,Ä-001-1,ä-001-1,新办,Ä-001-2,ä-001-2,"Change \"quoted\"","change \"quoted\""}`,
				}, q(`SELECT concat_ws('|', item_id, recorded_pos, seq, COALESCE(valid_from::text, 'NULL'), COALESCE(valid_to::text, 'NULL'),
					COALESCE(superseded_pos::text, 'NULL'), code, name, department, authority, legal_basis, level, sub_items, search)
					FROM {s}.item_versions`))
			})
		}
	}
}

// indexCount counts the indexes of schema.
func indexCount(t *testing.T, schema string) int {
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM pg_indexes WHERE schemaname = $1", schema).Scan(&n))
	return n
}

// requireSameRows compares every table of the read models in schemas a and
// b (pgtest.RequireSameRows); all eight hold rows in these tests.
func requireSameRows(t *testing.T, a, b string) {
	t.Helper()
	counts := pgtest.RequireSameRows(t, pool, a, b)
	require.Len(t, counts, 8)
	for table, n := range counts {
		require.Positive(t, n, "table %s", table)
	}
}

// requireSameStructure compares what the catalogs say of schemas a and b
// (pgtest.RequireSameStructure).
func requireSameStructure(t *testing.T, a, b string) {
	t.Helper()
	pgtest.RequireSameStructure(t, pool, a, b)
}
