package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph"
	"github.com/catalogue/catalogue/graph/auth"
	"github.com/catalogue/catalogue/graph/graphiql"
	"github.com/catalogue/catalogue/ledger"
	"github.com/catalogue/catalogue/projections"
)

// Config is what `catalogue serve` is told.
type Config struct {
	DataDir   string
	Events    string // event log: "" for SQLite in DataDir, or esdb://… (see OpenEvents)
	ReadModel string // read models: "" in memory, or postgres://… (see OpenReadModel)
	Role      Role   // "" is RoleAll
	// NoMigrate makes start check, not apply, the PostgreSQL read models'
	// migrations: for deployments that run catalogue migrate first.
	NoMigrate    bool
	Addr         string // host:port; port 0 picks a free one
	Jurisdiction string // body code of the catalogue's government, optional
	Logger       *slog.Logger
	// Progress receives start-up progress lines (rebuilding the read models).
	Progress io.Writer
	// NoAnonymousRead makes every API request need a token; by default
	// anyone may read the public catalogue.
	NoAnonymousRead bool
	// AcceptDamagedLog opens a SQLite log that fails its start-up checks
	// (sqlite.Options.AcceptDamaged): for an operator who has looked.
	AcceptDamagedLog bool
	// Limits bound what one API request may cost; zero fields take the
	// defaults (see graph.Limits).
	Limits graph.Limits
}

// Service is a running catalogue: event log, ledger, read models kept live
// by the projector, and the HTTP server.
type Service struct {
	Data   *DataDir
	Ledger *ledger.Ledger
	Read   Reader
	Role   Role
	Tokens *auth.Store
	// FirstToken is the secret of the legal-officer token created on the
	// first start of a data directory, for the caller to show once; empty
	// on every later start. Only its hash is stored.
	FirstToken string

	log       *slog.Logger
	readModel *ReadModel
	writes    *writeCheck
	listener  net.Listener
	http      *http.Server
	stop      context.CancelFunc
	done      sync.WaitGroup
	runErr    atomic.Pointer[error]
}

// Start opens the data directory and the read models, brings the read
// models up to the log's end (role all), starts keeping them up to date
// (roles all and projector) and starts serving. It returns once the
// service answers requests.
func Start(ctx context.Context, cfg Config) (_ *Service, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Role == "" {
		cfg.Role = RoleAll
	}
	if cfg.Role != RoleAll && (cfg.ReadModel == "" || cfg.Events == "") {
		// The SQLite log belongs to the one process holding its data
		// directory: another process could neither write nor follow it.
		return nil, fmt.Errorf("role %s needs an event log and read models shared with other processes: --events esdb://… and --readmodel postgres://…", cfg.Role)
	}
	dd, err := OpenDataDirEvents(ctx, cfg.DataDir, cfg.Events, cfg.Logger, cfg.AcceptDamagedLog)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			dd.Close()
		}
	}()
	progress := projections.WithProgress(func(p projections.Progress) {
		if !p.CaughtUp {
			fmt.Fprintf(cfg.Progress, "projecting: %d events (%.0f/s), position %d\n", p.Applied, p.Rate, p.Position)
		}
	}, time.Second)
	rm, err := OpenReadModel(ctx, cfg.ReadModel, dd.Events, !cfg.NoMigrate, progress)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			rm.Close()
		}
	}()
	s := &Service{Data: dd, log: cfg.Logger, Read: rm.Read, Role: cfg.Role, readModel: rm, Tokens: auth.Open(dd.Path, auth.WithLogger(cfg.Logger)),
		writes: &writeCheck{events: dd.Events, live: rm.Live, private: cfg.Events == ""}}
	if err := s.openTokens(ctx); err != nil {
		return nil, err
	}
	opts := []ledger.Option{}
	if cfg.Jurisdiction != "" {
		opts = append(opts, ledger.WithJurisdiction(cfg.Jurisdiction))
	}
	s.Ledger = ledger.New(gatedLog{Store: dd.Events, check: s.writes}, opts...)

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	// A projector that stops also ends the wait for the read models to
	// catch up: with its error, rather than never.
	catchUp, projectorStopped := context.WithCancelCause(ctx)
	defer projectorStopped(nil)
	project := func() {
		s.done.Go(func() {
			if err := rm.Project(runCtx); err != nil {
				s.runErr.Store(&err)
				s.log.Error("projector stopped", "err", err)
				projectorStopped(err)
			}
		})
	}
	defer func() {
		if err != nil {
			stop()
			s.done.Wait()
		}
	}()
	began := time.Now()
	switch {
	case cfg.ReadModel == "": // in memory: rebuilt here, then followed
		if err := rm.CatchUp(ctx, cfg.Progress); err != nil {
			return nil, fmt.Errorf("rebuild read models: %w", err)
		}
		project()
	case cfg.Role == RoleAPI:
	default: // shared: whichever process holds the lock projects
		project()
		if cfg.Role == RoleAll {
			if err := rm.CatchUp(catchUp, cfg.Progress); err != nil {
				if cause := context.Cause(catchUp); cause != nil {
					err = cause
				}
				return nil, fmt.Errorf("read models: %w", err)
			}
		}
	}
	if cfg.Role != RoleProjector {
		if err := reportPosition(ctx, s.Read, cfg.Progress, began); err != nil {
			return nil, err
		}
	}
	s.listener, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s.http = &http.Server{Handler: s.routes(cfg), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	s.done.Go(func() {
		if err := s.http.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	})
	return s, nil
}

// URL is where the service answers.
func (s *Service) URL() string { return "http://" + s.listener.Addr().String() }

// FirstTokenName is the name (and so the recorded actor) of the token
// created on first start.
const FirstTokenName = "admin"

// openTokens checks the token file and, on a new data directory, creates
// the first legal-officer token (see auth.Store.Bootstrap). Beside a log
// that has events, a missing token file mints none: the server starts with
// no token signing in (anonymous reading still works, where allowed) and
// says how to issue one. An unreadable token file stops the start.
func (s *Service) openTokens(ctx context.Context) error {
	last, err := s.Data.Events.LastPosition(ctx)
	if err != nil {
		return fmt.Errorf("read the event log's end: %w", err)
	}
	if s.FirstToken, err = s.Tokens.Bootstrap(FirstTokenName, last == 0); err != nil {
		return fmt.Errorf("create the first token: %w (fix the token file, or move it away and issue tokens with catalogue token create)", err)
	}
	tokens, err := s.Tokens.List()
	if err != nil {
		return err
	}
	if tokens == nil {
		s.log.Warn("no token file beside an event log that has events, so no token signs in (an admin token is created only for a new data directory); issue one with: catalogue token create --role legal_officer --name NAME --data "+s.Data.Path,
			"path", s.Tokens.Path(), "position", last)
	}
	return s.Tokens.Secure()
}

// routes mounts the GraphQL endpoint at /query, downloads of the catalogue
// as a spreadsheet at /export (signed in as /query is), and GraphiQL,
// served from the binary itself, at / and /graphiql/; a projector serves
// /healthz only.
func (s *Service) routes(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	if cfg.Role == RoleProjector {
		return mux
	}
	mux.Handle("/query", graph.NewHandler(graph.Config{
		Ledger: s.Ledger, Read: s.Read, Feed: s.readModel.Feed, Log: s.Data.Events, Tokens: s.Tokens,
		Logger: s.log, AnonymousRead: !cfg.NoAnonymousRead, Limits: cfg.Limits,
	}))
	mux.Handle(graph.ExportPath, graph.SignIn(s.Tokens, !cfg.NoAnonymousRead, exportHandler{read: s.Read, log: s.log, now: time.Now}))
	ide := graphiql.Handler()
	mux.Handle("/graphiql", http.StripPrefix("/graphiql", ide))
	mux.Handle("/graphiql/", http.StripPrefix("/graphiql", ide))
	mux.Handle("/", ide)
	return mux
}

// health answers liveness and readiness: the position the read models have
// reached, whether they have reached the log's end (as it is now), whether this
// process projects (of several sharing PostgreSQL read models, one does),
// and whether it can write its log (writable; if not, writeError says
// why). A log that fails to write, or is not the read models' log, makes
// the status 503; a standby that refuses writes by design stays 200.
func (s *Service) health(w http.ResponseWriter, r *http.Request) {
	pos, err := s.Read.Checkpoint(r.Context())
	writable, why, fault := s.writable(r.Context())
	status, code := "ok", http.StatusOK
	switch {
	case s.runErr.Load() != nil:
		status, code = "projector stopped", http.StatusServiceUnavailable
	case err != nil || s.readModel.Err() != nil:
		status, code = "read models unreachable", http.StatusServiceUnavailable
	case fault:
		status, code = "writes failing", http.StatusServiceUnavailable
	}
	body := map[string]any{"status": status, "position": pos, "role": s.Role, "writable": writable}
	if why != nil {
		body["writeError"] = why.Error()
	}
	last, lerr := s.Data.Events.LastPosition(r.Context())
	caughtUp := lerr == nil && s.readModel.Feed.Position() >= last
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	body["caughtUp"], body["projecting"] = caughtUp, s.readModel.Projecting()
	json.NewEncoder(w).Encode(body)
}

// Close stops serving (letting requests in flight finish, bounded by ctx),
// stops the projector and closes the log; every acknowledged event is
// already durable, and the log's writer finishes appends in flight.
func (s *Service) Close(ctx context.Context) error {
	herr := s.http.Shutdown(ctx)
	s.stop()
	s.done.Wait()
	s.readModel.Close()
	return errors.Join(herr, s.Data.Close())
}

// reportPosition says how far the read models are once they answer. Read
// models whose position cannot be read cannot answer either: the error
// makes Start refuse to start rather than serve errors.
func reportPosition(ctx context.Context, r interface {
	Checkpoint(context.Context) (eventstore.Position, error)
}, progress io.Writer, began time.Time) error {
	pos, err := r.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("read models: read their position: %w", err)
	}
	fmt.Fprintf(progress, "read models at position %d (%s)\n", pos, time.Since(began).Round(time.Millisecond))
	return nil
}

// PositionText is the read models' position for serve's start-up banner.
// It is only reported there; the service is up, and /healthz says whether
// the read models answer, so a position that cannot be read is logged and
// shown as "unknown" (never as position 0) while the server keeps serving.
func PositionText(ctx context.Context, r interface {
	Checkpoint(context.Context) (eventstore.Position, error)
}, logger *slog.Logger) string {
	pos, err := r.Checkpoint(ctx)
	if err != nil {
		logger.Warn("read models: cannot read their position", "err", err)
		return "unknown"
	}
	return fmt.Sprint(pos)
}
