package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/esdb"
	"github.com/catalogue/catalogue/eventstore/sqlite"
)

// OpenEvents opens the event log events names: empty for the embedded
// SQLite log in the data directory dir, an esdb:// or esdb+discover://
// connection string (the EventStore client's; TLS and credentials go in
// it) for EventStoreDB or KurrentDB. An EventStoreDB that cannot be
// reached fails here, at start, not at the first command. acceptDamaged
// opens a SQLite log that fails its start-up checks (sqlite.Options).
func OpenEvents(ctx context.Context, dir, events string, log *slog.Logger, acceptDamaged bool) (eventstore.Store, error) {
	switch {
	case events == "":
		return sqlite.OpenWith(filepath.Join(dir, "events.db"), sqlite.Options{AcceptDamaged: acceptDamaged})
	case strings.HasPrefix(events, "esdb://"), strings.HasPrefix(events, "esdb+discover://"):
		// The feed carries only the catalogue's streams, filtered on the
		// server.
		return esdb.Open(ctx, events, esdb.Options{StreamPrefixes: domain.StreamPrefixes(), Logger: log})
	default:
		return nil, fmt.Errorf("event log %q: want empty (SQLite in the data directory) or an esdb:// or esdb+discover:// connection string", esdb.RedactURL(events))
	}
}

// OpenEventsReader opens the event log for reading only: the SQLite log
// of a data directory without taking the directory, which a running serve
// holds (sqlite.OpenReader), or an EventStoreDB as OpenEvents does.
func OpenEventsReader(ctx context.Context, dir, events string, log *slog.Logger) (eventstore.Store, error) {
	if events == "" {
		return sqlite.OpenReader(filepath.Join(dir, "events.db"))
	}
	return OpenEvents(ctx, dir, events, log, false)
}
