package auth

import "time"

// watcher is one live connection waiting to learn that its token stopped
// signing in.
type watcher struct {
	id    string
	ended chan *Error
}

// Watch follows the token with the given id for a connection that signed
// in with it once and stays open (a WebSocket): the channel receives,
// once, why the token no longer signs in — UNAUTHENTICATED when it was
// revoked or removed, UNAVAILABLE when the token file became unreadable —
// within PollInterval of the file's change. stop ends the watch; call it
// when the connection closes.
//
// One goroutine polls the file (a stat, and a read when it changed) while
// there is any watcher, however many connections there are; it needs no
// file-change notifications, which not every file system gives.
func (s *Store) Watch(tokenID string) (ended <-chan *Error, stop func()) {
	w := &watcher{id: tokenID, ended: make(chan *Error, 1)}
	s.watchMu.Lock()
	if s.watchers == nil {
		s.watchers = map[*watcher]struct{}{}
	}
	s.watchers[w] = struct{}{}
	if !s.polling {
		s.polling = true
		go s.pollWatched()
	}
	s.watchMu.Unlock()
	// A token revoked before the watch began is seen at the first poll.
	return w.ended, func() {
		s.watchMu.Lock()
		delete(s.watchers, w)
		s.watchMu.Unlock()
	}
}

// pollWatched checks the watched tokens every poll interval, and returns
// when nobody watches any more (a later Watch starts it again).
func (s *Store) pollWatched() {
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	for range tick.C {
		var why *Error
		if err := s.refresh(); err != nil {
			why, _ = err.(*Error)
			if why == nil {
				why = errUnavailable
			}
		}
		s.mu.RLock()
		active := s.byID
		s.mu.RUnlock()
		s.watchMu.Lock()
		for w := range s.watchers {
			reason := why
			if reason == nil && !active[w.id] {
				reason = Unauthenticated("the token was revoked")
			}
			if reason != nil {
				w.ended <- reason // buffered, sent once: the watcher leaves the set
				delete(s.watchers, w)
			}
		}
		idle := len(s.watchers) == 0
		if idle {
			s.polling = false
		}
		s.watchMu.Unlock()
		if idle {
			return
		}
	}
}
