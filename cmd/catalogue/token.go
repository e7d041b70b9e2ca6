package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/catalogue/catalogue/cmd/internal/app"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/graph/auth"
)

const tokenUsage = `usage:
  catalogue token create --role legal_officer|body_officer|auditor [--body CODE] [--name NAME] [--data DIR] [--events esdb://…]
  catalogue token list   [--data DIR]
  catalogue token revoke ID|NAME [--data DIR]

A token's secret is printed once, when it is created; the data directory
keeps only its hash. The name is recorded as the actor of every change made
with the token. A running server sees new and revoked tokens at once, and
closes the subscriptions of a revoked token within a second.
`

// tokenCmd issues, lists and revokes API tokens. It edits the token file of
// the data directory under its own lock, so it works while serve runs.
func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errUsage
	}
	fs, data := flags("token "+args[0], stderr, defaultDataDir(), "data directory")
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage) }
	role := fs.String("role", "", "legal_officer, body_officer or auditor")
	body := fs.String("body", "", "the body code a body_officer is scoped to")
	name := fs.String("name", "", "who holds the token (recorded as the actor of their changes)")
	events := fs.String("events", os.Getenv("CATALOGUE_EVENTS"), "event log in which to look the body up: empty for SQLite in the data directory, or esdb://…")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	store := auth.Open(*data)
	switch {
	case args[0] == "create" && len(pos) == 0 && *role != "":
		r, err := auth.ParseRole(*role)
		if err != nil {
			return err
		}
		secret, t, err := store.Create(auth.Spec{Role: r, Body: *body, Name: *name})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "created token %s for %q (%s%s); only its hash is stored, so copy it now:\n", t.ID, t.Name, t.Role, scope(t))
		fmt.Fprintln(stdout, secret)
		if t.Body != "" {
			checkBody(ctx, *data, *events, t.Body, stderr)
		}
		return nil
	case args[0] == "list" && len(pos) == 0:
		tokens, err := store.List()
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tROLE\tBODY\tCREATED\tREVOKED")
		for _, t := range tokens {
			revoked := ""
			if t.RevokedAt != nil {
				revoked = t.RevokedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.Body, t.CreatedAt.Format("2006-01-02 15:04"), revoked)
		}
		return w.Flush()
	case args[0] == "revoke" && len(pos) == 1:
		t, err := store.Revoke(pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %s (%s)\n", t.ID, t.Name)
		return nil
	}
	fs.Usage()
	return errUsage
}

// checkBody tells the issuer when a body officer's body is not registered
// in the log: a mistyped code would give a token that sees nothing. It
// only warns — a district's token may well be issued before the district
// is registered — and says so when there is no log to look in.
func checkBody(ctx context.Context, data, events, code string, stderr io.Writer) {
	log, err := app.OpenEventsReader(ctx, data, events, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		fmt.Fprintf(stderr, "note: body %s not checked: no event log to look in (%v)\n", code, err)
		return
	}
	defer log.Close()
	recs, err := log.ReadStream(ctx, domain.BodyStream(code), 0)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "note: body %s not checked: %v\n", code, err)
	case len(recs) == 0:
		fmt.Fprintf(stderr, "warning: no body %s is registered in the log (yet): until it is, this token's holder has no powers to see or accept — check the code\n", code)
	}
}

func scope(t auth.Token) string {
	if t.Body == "" {
		return ""
	}
	return " of body " + t.Body
}

// awaitFirstToken marks a new data directory (its log still empty) as
// awaiting its first token before a command records the first events in
// it, so that serve's first start still creates the admin token: the log
// will not be empty then.
func awaitFirstToken(dd *app.DataDir) error {
	last, err := dd.Events.LastPosition(context.Background())
	if err != nil || last > 0 {
		return err
	}
	return auth.Open(dd.Path).AwaitFirst()
}

// printFirstToken shows the token created on a data directory's first
// start, the only time it can be shown.
func printFirstToken(w io.Writer, secret string) {
	fmt.Fprintf(w, `First start: created a legal-officer token named %q. Only its hash is
stored, so this is the only time it is shown — keep it:

  %s

Send it as  Authorization: Bearer <token>  (in GraphiQL: the Headers tab).
Issue more with  catalogue token create --role legal_officer|body_officer|auditor [--body CODE].

`, app.FirstTokenName, secret)
}
