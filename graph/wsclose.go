package graph

import (
	"context"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/catalogue/catalogue/graph/auth"
)

// A WebSocket signs in once, at connection_init, and may then stay open for
// days; its token is watched for as long as it is open, and a revocation
// (or a token file the server can no longer read) closes it within
// auth.PollInterval, with a close code that says why. gqlgen closes a
// connection whose context ends with 1000 "terminated"; wsEnd carries the
// reason to the connection wrapper that writes the close frame.

// Close codes of a connection the server ends.
const (
	// wsCloseForbidden is graphql-transport-ws's code for a refused sign-in;
	// a token revoked while connected is refused the same way.
	wsCloseForbidden = 4403
	// wsCloseTryAgainLater (RFC 6455, 1013): the server cannot tell
	// whether the token still signs in.
	wsCloseTryAgainLater = 1013
)

// wsCloseCode is the close code of a connection refused or ended for err.
func wsCloseCode(err error) int {
	if ae, ok := err.(*auth.Error); ok && ae.Code == auth.CodeUnavailable {
		return wsCloseTryAgainLater
	}
	return wsCloseForbidden
}

// wsCloseReason fits message into a close frame's reason, which is at most
// 123 bytes, cutting at a rune boundary so that the reason stays UTF-8.
func wsCloseReason(message string) string {
	const max = 123
	if len(message) <= max {
		return message
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(message[cut]) {
		cut--
	}
	return message[:cut] + "…"
}

// wsRefuse prepares ctx to close a connection refused at connection_init
// for err with the code and reason that say why; without them gqlgen
// closes it with a bare "terminated".
func wsRefuse(ctx context.Context, err error) context.Context {
	ctx = transport.WithWebsocketCloseCode(ctx, wsCloseCode(err))
	return transport.AppendCloseReason(ctx, wsCloseReason(err.Error()))
}

// wsEnd is why the server ended one WebSocket connection.
type wsEnd struct {
	mu  sync.Mutex
	why *auth.Error
}

type wsEndKey struct{}

// withWSEnd prepares an upgrade request's context to carry why the server
// ends the connection.
func withWSEnd(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), wsEndKey{}, &wsEnd{}))
}

// closeOnRevocation returns ctx (the connection's, signed in as p) ended
// when p's token stops signing in.
func (h *httpHandler) closeOnRevocation(ctx context.Context, p *auth.Principal) context.Context {
	end, _ := ctx.Value(wsEndKey{}).(*wsEnd)
	if h.tokens == nil || end == nil {
		return ctx
	}
	ctx, cancel := context.WithCancel(ctx)
	ended, stop := h.tokens.Watch(p.TokenID)
	go func() {
		defer stop()
		defer cancel()
		select {
		case why := <-ended:
			end.mu.Lock()
			end.why = why
			end.mu.Unlock()
			h.logger.Info("websocket closed: its token no longer signs in", "actor", p.Name, "token", p.TokenID, "reason", why.Message)
		case <-ctx.Done(): // the connection closed
		}
	}()
	return ctx
}

// wsImplementation is gqlgen's default WebSocket implementation whose
// connections close with the reason the server ended them for.
type wsImplementation struct {
	transport.CoderWebsocketImplementation
}

func (i wsImplementation) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := i.CoderWebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	end, _ := r.Context().Value(wsEndKey{}).(*wsEnd)
	return &wsConn{WebsocketConn: conn, end: end}, nil
}

// wsConn writes the close frame with the server's reason, and passes the
// read limit and deadlines gqlgen sets through to the connection.
type wsConn struct {
	transport.WebsocketConn
	end *wsEnd
}

func (c *wsConn) WriteClose(code int, message string) error {
	if c.end != nil && code == transport.WebsocketCloseNormalClosure {
		c.end.mu.Lock()
		why := c.end.why
		c.end.mu.Unlock()
		if why != nil {
			code, message = wsCloseCode(why), wsCloseReason(why.Message)
		}
	}
	return c.WebsocketConn.WriteClose(code, message)
}

func (c *wsConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *wsConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
