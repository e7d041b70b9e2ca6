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
	"time"

	"github.com/catalogue/catalogue/eventstore/ledger"
	"github.com/catalogue/catalogue/graph"
	"github.com/catalogue/catalogue/graph/auth"
	"github.com/catalogue/catalogue/graph/graphiql"
	"github.com/catalogue/catalogue/projections"
)

// Config is what `catalogue serve` is told.
type Config struct {
	DataDir      string
	Events       string // event log: "" for SQLite in DataDir, or esdb://… (see OpenEvents)
	ReadModel    string // read models: "" in memory, or postgres://… (see OpenReadModel)
	Addr         string // host:port; port 0 picks a free one
	Jurisdiction string // body code of the catalogue's government, optional
	Logger       *slog.Logger
	// Progress receives start-up progress lines (rebuilding the read models).
	Progress io.Writer
	// NoAnonymousRead makes every API request need a token; by default
	// anyone may read the public catalogue.
	NoAnonymousRead bool
	// Limits bound what one API request may cost; zero fields take the
	// defaults (see graph.Limits).
	Limits graph.Limits
}

// Service is a running catalogue: event log, ledger, read models kept live
// by the projector, and the HTTP server.
type Service struct {
	Data      *DataDir
	Ledger    *ledger.Ledger
	Read      projections.Store
	Projector *projections.Projector
	Tokens    *auth.Store
	// FirstToken is the secret of the legal-officer token created on the
	// first start of a data directory, for the caller to show once; empty
	// on every later start. Only its hash is stored.
	FirstToken string

	log       *slog.Logger
	readModel *ReadModel
	listener  net.Listener
	http      *http.Server
	stop      context.CancelFunc
	done      sync.WaitGroup
	runErr    error
}

// Start opens the data directory, rebuilds the read models from the log,
// starts following the log and starts serving. It returns once the
// service answers requests.
func Start(ctx context.Context, cfg Config) (_ *Service, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	dd, err := OpenDataDirEvents(ctx, cfg.DataDir, cfg.Events, cfg.Logger)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			dd.Close()
		}
	}()
	rm, err := OpenReadModel(ctx, cfg.ReadModel)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			rm.Close()
		}
	}()
	s := &Service{Data: dd, log: cfg.Logger, Read: rm.Store, readModel: rm, Tokens: auth.Open(dd.Path)}
	if s.FirstToken, err = s.Tokens.Bootstrap(FirstTokenName); err != nil {
		return nil, fmt.Errorf("create the first token: %w", err)
	}
	opts := []ledger.Option{}
	if cfg.Jurisdiction != "" {
		opts = append(opts, ledger.WithJurisdiction(cfg.Jurisdiction))
	}
	s.Ledger = ledger.New(dd.Events, opts...)
	s.Projector = projections.New(dd.Events, s.Read, projections.WithProgress(func(p projections.Progress) {
		if !p.CaughtUp {
			fmt.Fprintf(cfg.Progress, "rebuilding read models: %d events (%.0f/s), position %d\n", p.Applied, p.Rate, p.Position)
		}
	}, time.Second))
	began := time.Now()
	if err := s.Projector.CatchUp(ctx); err != nil {
		return nil, fmt.Errorf("rebuild read models: %w", err)
	}
	pos, _ := s.Read.Checkpoint(ctx)
	fmt.Fprintf(cfg.Progress, "read models rebuilt to position %d in %s\n", pos, time.Since(began).Round(time.Millisecond))

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.done.Go(func() {
		if err := s.readModel.Project(runCtx, s.Projector.Run); err != nil {
			s.runErr = err
			s.log.Error("projector stopped", "err", err)
		}
	})
	s.listener, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		stop()
		s.done.Wait()
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

// routes mounts the GraphQL endpoint at /query and GraphiQL, served from
// the binary itself, at / and /graphiql/.
func (s *Service) routes(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.Handle("/query", graph.NewHandler(graph.Config{
		Ledger: s.Ledger, Read: s.Read, Feed: s.Projector, Log: s.Data.Events, Tokens: s.Tokens,
		Logger: s.log, AnonymousRead: !cfg.NoAnonymousRead, Limits: cfg.Limits,
	}))
	ide := graphiql.Handler()
	mux.Handle("/graphiql", http.StripPrefix("/graphiql", ide))
	mux.Handle("/graphiql/", http.StripPrefix("/graphiql", ide))
	mux.Handle("/", ide)
	return mux
}

// health answers liveness and readiness: the position the read models have
// reached and whether the projector is following the log.
func (s *Service) health(w http.ResponseWriter, r *http.Request) {
	pos, err := s.Read.Checkpoint(r.Context())
	status, code := "ok", http.StatusOK
	if err != nil || s.runErr != nil {
		status, code = "projector stopped", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"status": status, "position": pos, "caughtUp": s.Projector.CaughtUp()})
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
