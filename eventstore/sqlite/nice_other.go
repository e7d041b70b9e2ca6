//go:build !linux

package sqlite

// lowPriority runs f; only Linux lowers one thread's priority.
func lowPriority(f func()) { f() }
