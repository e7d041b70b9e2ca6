// Command catalogue runs the administrative-licensing item catalogue
// (行政许可事项清单): an event-sourced ledger of every listing, amendment,
// delegation, acceptance, withdrawal and revocation, with read models that
// answer what was in force on any date, as recorded at any moment.
//
//	catalogue serve                 run the service on ./catalogue-data
//	catalogue import FILE ...       import a spreadsheet of items (XLSX or CSV)
//	catalogue export ...            write the catalogue out as XLSX or CSV
//	catalogue bodies import FILE    register districts, zones and towns
//	catalogue demo                  record a realistic demo catalogue
//	catalogue token create|list|revoke  issue and revoke API tokens
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `catalogue — the administrative-licensing item catalogue (行政许可事项清单) as an event-sourced ledger

Usage:
  catalogue serve   [--data DIR] [--addr HOST:PORT] [--jurisdiction CODE] [--events esdb://…] [--readmodel postgres://…]
                    [--role all|api|projector] [--migrate=false] [--anonymous-read=false] [--accept-damaged-log]
  catalogue migrate --readmodel postgres://…[?schema=NAME]            (apply the read-model schema migrations)
  catalogue rebuild --readmodel postgres://… [--data DIR | --events esdb://…] [--grace 10s]
                                                (a new generation of the read models while the old one serves)
  catalogue token   create --role legal_officer|body_officer|auditor [--body CODE] [--name NAME] [--data DIR]
  catalogue token   list [--data DIR]
  catalogue token   revoke ID|NAME [--data DIR]
  catalogue import  FILE --basis 文号 --effective YYYY-MM-DD [--reason TEXT] [--level LEVEL] [--code-prefix P] [--dry-run] [--data DIR]
                    (FILE: XLSX or CSV in UTF-8 or GB18030)
  catalogue export  --out FILE [--format xlsx|csv] (--edition NAME | [--in-force-on YYYY-MM-DD] [--as-of P] [--body CODE]) [--data DIR]
  catalogue delegations import FILE --basis 文号 --effective YYYY-MM-DD [--jurisdiction CODE] [--reason TEXT] [--dry-run] [--data DIR]
                    (FILE: XLSX or CSV; columns 事项编码|事项名称, 承接主体 (code, name, 各区市, 各功能区, <区>所辖镇街), 方式, [子项], [截止日期])
  catalogue revocations import FILE --basis 文号 --effective YYYY-MM-DD [--reason TEXT] [--dry-run] [--data DIR]
                    (FILE: XLSX or CSV; columns 事项编码|事项名称, [取消理由|备注] (else --reason))
  catalogue bodies import FILE [--basis 文号] [--effective YYYY-MM-DD] [--dry-run] [--data DIR]
  catalogue demo    [--data DIR]
  catalogue gen     --data DIR [--events N] [--items N] [--bodies N]   (a large log for benchmarks)
  catalogue bench startup [--data DIR | --events N]                  (start-up time and memory of serve)

The data directory defaults to ./catalogue-data (or $CATALOGUE_DATA).
Run "catalogue COMMAND --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "catalogue:", err)
		}
		os.Exit(exitCode(err))
	}
}

var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// run dispatches a command line; it is main without the process, so tests
// can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serveCmd(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args[1:], stdout, stderr)
	case "rebuild":
		return rebuildCmd(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	case "export":
		return exportCmd(ctx, args[1:], stdout, stderr)
	case "delegations":
		return importSub(ctx, args, stdout, stderr, delegationsCmd)
	case "revocations":
		return importSub(ctx, args, stdout, stderr, revocationsCmd)
	case "bodies":
		return importSub(ctx, args, stdout, stderr, bodiesCmd)
	case "token":
		return tokenCmd(ctx, args[1:], stdout, stderr)
	case "demo":
		return demoCmd(ctx, args[1:], stdout, stderr)
	case "gen":
		return genCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}

// importSub runs the "import" subcommand of a command that has only that
// one (delegations, revocations, bodies).
func importSub(ctx context.Context, args []string, stdout, stderr io.Writer, cmd func(context.Context, []string, io.Writer, io.Writer) error) error {
	if len(args) < 2 || args[1] != "import" {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	return cmd(ctx, args[2:], stdout, stderr)
}
