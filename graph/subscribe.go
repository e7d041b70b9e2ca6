package graph

import (
	"context"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph/auth"
	"github.com/catalogue/catalogue/graph/model"
	"github.com/catalogue/catalogue/projections"
)

// auditScope is the one rule for what of the audit trail a principal may
// see, and every field that returns events (the events query and
// subscription, an item's history) narrows what it reads by it: legal
// officers and auditors see every event; a body officer sees only the
// events that concern its own body (LogEntry.Bodies: its registration, the
// delegations it made or received, their acceptance, withdrawal and end),
// so neither another body's delegations nor their actors and data, nor an
// item's listing and amendments, which concern no body. The scope is an
// audit query whose filters every event shown must match.
func auditScope(ctx context.Context) projections.AuditQuery {
	if p := auth.FromContext(ctx); p.Is(auth.BodyOfficer) {
		return projections.AuditQuery{Body: p.Body}
	}
	return projections.AuditQuery{}
}

// auditQuery turns the schema's event filter into the read side's query,
// within the principal's audit scope.
func auditQuery(ctx context.Context, f *model.EventFilter) (projections.AuditQuery, error) {
	var q projections.AuditQuery
	if f != nil {
		q.RecordedFrom, q.RecordedBefore = deref(f.RecordedFrom), deref(f.RecordedBefore)
		q.Actor, q.Types, q.ItemID, q.Body, q.Basis = deref(f.Actor), f.Types, deref(f.ItemID), deref(f.Body), deref(f.Basis)
	}
	if scope := auditScope(ctx); scope.Body != "" {
		if q.Body != "" && q.Body != scope.Body {
			return q, auth.Forbidden("filter.body: a body officer of %s reads only the events that concern %s", scope.Body, scope.Body)
		}
		q.Body = scope.Body
	}
	return q, q.Validate()
}

// followPage is how many log entries a subscription reads at once.
const followPage = 256

// follow delivers the audit log entries matching q after position after
// (default: the read models' current position, so only new events), first
// the backlog, then each new entry once the read models include it. It
// reads the same audit log as the events query, so both filter alike.
//
// A slow client holds only its own goroutine: the channel is unbuffered, so
// nothing is read ahead of what the client takes, and everything stops when
// the connection closes (ctx is done).
func (r *Resolver) follow(ctx context.Context, after *eventstore.Position, q projections.AuditQuery) (<-chan *projections.LogEntry, error) {
	last := r.feed.Position()
	if after != nil {
		last = *after
	}
	out := make(chan *projections.LogEntry)
	go func() {
		defer close(out)
		for {
			q.AsOf = r.feed.Position()
			q.Page = projections.Page{First: followPage, After: projections.EncodeCursor(projections.ListLog, projections.Cursor{Pos: last})}
			// The views are taken anew each time: a subscription outlives
			// a generation of a PostgreSQL read model.
			page, err := r.read.Views().AuditLog(ctx, q)
			if err != nil {
				if ctx.Err() == nil {
					r.logger.Error("events subscription stopped", "err", err)
				}
				return
			}
			for i := range page.Entries {
				select {
				case out <- &page.Entries[i]:
				case <-ctx.Done():
					return
				}
			}
			switch {
			case page.HasNextPage:
				last = page.Entries[len(page.Entries)-1].Position
				continue
			case page.AsOf > last:
				last = page.AsOf // everything up to it has been read
			}
			if err := r.feed.WaitFor(ctx, last+1); err != nil {
				return
			}
		}
	}()
	return out, nil
}
