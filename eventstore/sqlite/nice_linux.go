package sqlite

import (
	"runtime"
	"syscall"
)

// lowPriority runs f on a thread of its own at the lowest CPU priority:
// the background quick_check of a large log (the driver runs a query on
// the calling goroutine's thread) must not slow the start-up it runs
// beside, which rebuilds the read models from the same log. The thread
// ends with f, niceness and all.
func lowPriority(f func()) {
	runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
	f()
}
