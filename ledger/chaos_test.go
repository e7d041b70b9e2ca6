package ledger_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/esdb"
	"github.com/catalogue/catalogue/eventstore/esdb/esdbtest"
	"github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/eventstore/sqlite"
	"github.com/catalogue/catalogue/ledger"
	"github.com/catalogue/catalogue/projections"
	projmemory "github.com/catalogue/catalogue/projections/memory"
)

// The code-uniqueness promise under crashes, abandoned requests and
// retries: a seeded random walk of listings, revocations and retries with
// faults injected around every append, checking after each step, on the
// log itself, that no code is held by two items in force.
//
//	go test -run Chaos -chaos.steps 2000 -chaos.seed 7 ./ledger
var (
	chaosSteps = flag.Int("chaos.steps", 0, "steps of the chaos walk per backend (0: the CI default)")
	chaosSeed  = flag.Uint64("chaos.seed", 0, "seed of the chaos walk (0: the fixed CI seeds)")
)

var errCrash = errors.New("injected crash")

// fault is what happens around one append of a command.
type fault int

const (
	noFault      fault = iota
	crashBefore        // the process dies before the append reaches the log
	crashAfter         // the append commits, the process dies before it hears so
	cancelBefore       // the client goes away just before the append
	cancelAfter        // the client goes away just after the append committed
	faultKinds
)

func (f fault) String() string {
	return [...]string{"none", "crash before", "crash after", "cancel before", "cancel after"}[f]
}

// faultyStore injects one fault at the n-th append of the command being run.
type faultyStore struct {
	eventstore.Store
	mu      sync.Mutex
	at      int // 1-based append of the command to fault; 0: none
	kind    fault
	cancel  context.CancelFunc
	appends int
}

func (s *faultyStore) arm(at int, kind fault, cancel context.CancelFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at, s.kind, s.cancel, s.appends = at, kind, cancel, 0
}

func (s *faultyStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	s.mu.Lock()
	s.appends++
	kind := noFault
	if s.appends == s.at {
		kind = s.kind
	}
	cancel := s.cancel
	s.mu.Unlock()
	switch kind {
	case crashBefore:
		return eventstore.AppendResult{}, errCrash
	case cancelBefore:
		cancel()
	}
	res, err := s.Store.Append(ctx, stream, expected, events)
	switch kind {
	case crashAfter:
		if err == nil {
			err = errCrash
		}
	case cancelAfter:
		cancel()
	}
	return res, err
}

type chaosBackend struct {
	name  string
	steps int
	open  func(t *testing.T) eventstore.Store
}

func TestChaosCodeUniqueness(t *testing.T) {
	backends := []chaosBackend{
		{"memory", 400, func(t *testing.T) eventstore.Store {
			s := memory.New()
			t.Cleanup(func() { s.Close() })
			return s
		}},
		{"sqlite-file", 200, func(t *testing.T) eventstore.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		}},
		// The real EventStore-Client-Go over gRPC against esdbtest's
		// in-process server (not a real EventStoreDB node).
		{"esdb-client-wire-test-server", 150, func(t *testing.T) eventstore.Store {
			srv, err := esdbtest.Start()
			require.NoError(t, err)
			t.Cleanup(srv.Stop)
			s, err := esdb.Open(context.Background(), srv.URL(), esdb.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	seeds := []uint64{1, 2}
	if *chaosSeed != 0 {
		seeds = []uint64{*chaosSeed}
	}
	for _, b := range backends {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", b.name, seed), func(t *testing.T) {
				steps := b.steps
				if *chaosSteps > 0 {
					steps = *chaosSteps
				}
				runChaos(t, b.open(t), seed, steps)
			})
		}
	}
}

// chaosCommand is a listing or revocation the walk has issued, kept so it
// can be retried with exactly the same request.
type chaosCommand struct {
	req    ledger.Request
	list   *domain.ListItem
	itemID string // for a revocation
}

type chaos struct {
	t     *testing.T
	rng   *rand.Rand
	store *faultyStore
	now   time.Time
	l     *ledger.Ledger
	cmds  []*chaosCommand
	log   []string // what happened, printed when the invariant breaks
	tally map[string]int
}

func runChaos(t *testing.T, inner eventstore.Store, seed uint64, steps int) {
	c := &chaos{t: t, rng: rand.New(rand.NewPCG(seed, 0x5eed)), store: &faultyStore{Store: inner}, now: time.Now(), tally: map[string]int{}}
	c.restart()
	codes := []string{"A1", "B2", "C3"}
	for step := range steps {
		switch r := c.rng.IntN(10); {
		case r < 4: // a new listing
			code := codes[c.rng.IntN(len(codes))]
			li := listing(code, "事项"+code)
			c.run(&chaosCommand{req: req(fmt.Sprintf("list-%d", step)), list: &li})
		case r < 6 && len(c.cmds) > 0: // a retry of any earlier command, as it was
			c.run(c.cmds[c.rng.IntN(len(c.cmds))])
		case r < 9: // revoke whatever holds a code
			if id := c.holder(codes[c.rng.IntN(len(codes))]); id != "" {
				c.run(&chaosCommand{req: req(fmt.Sprintf("revoke-%d", step)), itemID: id})
			}
		default: // the process restarts: the ledger's memory is gone
			c.restart()
		}
		// Time passes: sometimes past any reservation timeout.
		c.now = c.now.Add(time.Duration(c.rng.IntN(40)) * time.Second)
		c.checkInvariant(step)
	}
	// Quiet: every command, retried without faults, converges — the same
	// answer twice, a listing recorded once.
	c.store.arm(0, noFault, nil)
	for _, cmd := range c.cmds {
		first, err1 := c.exec(context.Background(), cmd)
		second, err2 := c.exec(context.Background(), cmd)
		require.Equal(t, domain.ErrorCode(err1), domain.ErrorCode(err2), "%s: %v then %v", cmd.req.CommandID, err1, err2)
		if err1 != nil {
			require.NotEmpty(t, domain.ErrorCode(err1), "%s ends in a refusal, not an internal error: %v", cmd.req.CommandID, err1)
			continue
		}
		require.NoError(t, err2)
		require.True(t, second.Replayed, "%s: the second retry records nothing", cmd.req.CommandID)
		require.Equal(t, first.ID, second.ID)
		require.Equal(t, first.Position, second.Position, cmd.req.CommandID)
	}
	c.checkInvariant(steps)
	c.checkReadModel()
	t.Logf("%d steps, %d commands: %v", steps, len(c.cmds), c.tally)
}

// checkReadModel projects the log into the in-memory read model and
// checks that its catalogue in force shows exactly the items the log holds
// in force: one per code.
func (c *chaos) checkReadModel() {
	rm := projmemory.New()
	_, err := projections.Rebuild(context.Background(), c.store, rm)
	require.NoError(c.t, err)
	page, err := rm.Views().Catalogue(context.Background(), projections.CatalogueQuery{
		Axes: projections.Axes{InForceOn: domain.MustDate("2025-01-01")}, Page: projections.Page{First: projections.MaxPageSize}})
	require.NoError(c.t, err)
	shown := map[string]string{}
	for _, it := range page.Items {
		require.NotContains(c.t, shown, it.Code, "the read model shows two items in force with code %s", it.Code)
		shown[it.Code] = it.ID
	}
	inForce := map[string]string{}
	for _, it := range c.items() {
		if it.Listed && !it.Revoked {
			inForce[it.Code] = it.ID
		}
	}
	require.Equal(c.t, inForce, shown)
}

func (c *chaos) restart() {
	c.l = ledger.New(c.store, ledger.WithClock(func() time.Time { return c.now }))
}

func (c *chaos) exec(ctx context.Context, cmd *chaosCommand) (ledger.Result, error) {
	if cmd.list != nil {
		return c.l.ListItem(ctx, cmd.req, *cmd.list)
	}
	return c.l.RevokeItem(ctx, cmd.req, cmd.itemID, domain.RevokeItem{Change: chg("广安府发〔2024〕2号", "2024-01-01")})
}

// run runs a command with a random fault at one of its first appends.
func (c *chaos) run(cmd *chaosCommand) {
	if !containsCmd(c.cmds, cmd) {
		c.cmds = append(c.cmds, cmd)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kind, at := noFault, 0
	if c.rng.IntN(3) > 0 {
		kind, at = fault(1+c.rng.IntN(int(faultKinds)-1)), 1+c.rng.IntN(2)
	}
	c.store.arm(at, kind, cancel)
	res, err := c.exec(ctx, cmd)
	c.store.arm(0, noFault, nil)
	what := "revoke " + cmd.itemID
	if cmd.list != nil {
		what = "list " + cmd.list.Code
	}
	outcome := "ok"
	switch {
	case err != nil && domain.ErrorCode(err) != "":
		outcome = string(domain.ErrorCode(err))
	case err != nil:
		outcome = "failed"
	case res.Replayed:
		outcome = "replayed"
	}
	c.tally[fmt.Sprintf("%s/%v: %s", strings.Fields(what)[0], kind, outcome)]++
	c.log = append(c.log, fmt.Sprintf("%s %s (fault %v at append %d): id=%s replayed=%v err=%v", cmd.req.CommandID, what, kind, at, res.ID, res.Replayed, err))
	if err != nil && domain.ErrorCode(err) == "" && !errors.Is(err, errCrash) && !errors.Is(err, context.Canceled) {
		c.t.Fatalf("%s: unexpected error %v\n%s", cmd.req.CommandID, err, strings.Join(c.log, "\n"))
	}
}

func containsCmd(cmds []*chaosCommand, cmd *chaosCommand) bool {
	for _, c := range cmds {
		if c == cmd {
			return true
		}
	}
	return false
}

// items folds every item stream of the log.
func (c *chaos) items() map[string]domain.Item {
	items := map[string]domain.Item{}
	from := eventstore.Start
	for {
		page, err := c.store.ReadAll(context.Background(), from, 500)
		require.NoError(c.t, err)
		if len(page) == 0 {
			return items
		}
		for _, r := range page {
			from = r.Position
			if !strings.HasPrefix(r.Stream, "item-") {
				continue
			}
			e, err := domain.Decode(r.Type, r.Data)
			require.NoError(c.t, err)
			items[r.Stream] = domain.EvolveItem(items[r.Stream], e)
		}
	}
}

// holder returns the id of the item in force with code, or "".
func (c *chaos) holder(code string) string {
	for _, it := range c.items() {
		if it.Listed && !it.Revoked && it.Code == code {
			return it.ID
		}
	}
	return ""
}

// checkInvariant fails when a code is held by two items in force.
func (c *chaos) checkInvariant(step int) {
	inForce := map[string][]string{}
	for _, it := range c.items() {
		if it.Listed && !it.Revoked {
			inForce[it.Code] = append(inForce[it.Code], it.ID)
		}
	}
	for code, ids := range inForce {
		if len(ids) > 1 {
			sort.Strings(ids)
			c.t.Fatalf("step %d: code %s is held by %d items in force: %v\n%s", step, code, len(ids), ids, strings.Join(c.log, "\n"))
		}
	}
}
