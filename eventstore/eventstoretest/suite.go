// Package eventstoretest is the contract every eventstore.Store adapter must
// pass. An adapter's own test calls Run with a Harness that says how to open
// its storage and what the storage can do; the suite never looks behind the
// port, so a backend that passes it can replace any other.
//
// The suite is written for backends it cannot empty: each test writes only
// to streams named with a fresh prefix and, when the Harness says the
// storage is shared, asserts only on the events of those streams.
package eventstoretest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

// Opener opens a Store on one piece of storage. Every call opens the same
// storage, so a store can be closed and opened again.
type Opener func() (eventstore.Store, error)

// Harness describes the adapter under test.
type Harness struct {
	// Storage prepares storage for one test (an empty database file, a
	// connection to a test server) and returns its Opener. It registers its
	// own clean-up with t; the suite closes every store it opens.
	Storage func(t *testing.T) Opener

	// Durable says that what a store acknowledged is still there when the
	// Opener is called again after Close. When false the suite calls each
	// Opener only once and skips the durability tests.
	Durable bool

	// Shared says the storage may already hold events, or receive events
	// from elsewhere, that are not the test's (a shared EventStoreDB). The
	// suite then never expects the feed to start empty and filters it down
	// to its own streams.
	Shared bool

	// Gapless says positions are consecutive, 1, 2, 3... (SQL backends);
	// otherwise the suite only requires them to increase strictly.
	Gapless bool

	// AnyRetryBestEffort says a retried append with eventstore.Any may be
	// written again, as the port allows for EventStoreDB; the suite then
	// does not retry with Any.
	AnyRetryBestEffort bool
}

// wait bounds every wait in the suite: long enough for a loaded CI machine,
// short enough that a lost event fails the test rather than hanging it.
const wait = 20 * time.Second

// Run runs the contract suite against h. An adapter's test calls it once:
//
//	func TestContract(t *testing.T) {
//		eventstoretest.Run(t, eventstoretest.Harness{
//			Storage: func(t *testing.T) eventstoretest.Opener {
//				path := filepath.Join(t.TempDir(), "events.db")
//				return func() (eventstore.Store, error) { return sqlite.Open(path) }
//			},
//			Durable: true,
//			Gapless: true,
//		})
//	}
func Run(t *testing.T, h Harness) {
	require.NotNil(t, h.Storage, "Harness.Storage is required")
	t.Run("AppendAndRead", func(t *testing.T) { testAppendAndRead(t, h) })
	t.Run("ExpectedRevision", func(t *testing.T) { testExpectedRevision(t, h) })
	t.Run("ConcurrentSameRevision", func(t *testing.T) { testConcurrentSameRevision(t, h) })
	t.Run("RetriedAppend", func(t *testing.T) { testRetriedAppend(t, h) })
	t.Run("FeedUnderConcurrentWriters", func(t *testing.T) { testFeedUnderConcurrentWriters(t, h) })
	t.Run("ReadAllFrom", func(t *testing.T) { testReadAllFrom(t, h) })
	t.Run("Subscribe", func(t *testing.T) { testSubscribe(t, h) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelledContext(t, h) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, h) })
	t.Run("LastPosition", func(t *testing.T) { testLastPosition(t, h) })
	t.Run("Durability", func(t *testing.T) {
		if !h.Durable {
			t.Skip("storage does not survive Close (Harness.Durable is false)")
		}
		testDurability(t, h)
	})
}
