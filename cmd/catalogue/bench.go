package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the raw-read baseline reads the log file directly

	"github.com/catalogue/catalogue/cmd/internal/app"
	"github.com/catalogue/catalogue/cmd/internal/gen"
)

// genCmd writes a large realistic log for benchmarks into a data directory.
func genCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := flags("gen", stderr, "", "data directory to create (must not hold a log yet)")
	cfg := gen.DefaultConfig
	fs.IntVar(&cfg.Events, "events", cfg.Events, "events to write")
	fs.IntVar(&cfg.Items, "items", cfg.Items, "items")
	fs.IntVar(&cfg.Bodies, "bodies", cfg.Bodies, "bodies")
	if _, err := parse(fs, args); err != nil || *data == "" {
		fmt.Fprintln(stderr, "usage: catalogue gen --data DIR [--events N] [--items N] [--bodies N]")
		return errUsage
	}
	return generate(ctx, *data, cfg, stdout, stderr)
}

func generate(ctx context.Context, dir string, cfg gen.Config, stdout, stderr io.Writer) error {
	if _, err := os.Stat(filepath.Join(dir, "events.db")); err == nil {
		return fmt.Errorf("%s already holds an event log", dir)
	}
	dd, err := app.OpenDataDir(dir)
	if err != nil {
		return err
	}
	began := time.Now()
	print := progressPrinter(stderr, "events")
	err = gen.Generate(ctx, dd.Events, cfg, func(done, total int) { print(min(done, total), total) })
	pos, _ := dd.Events.LastPosition(context.Background())
	if cerr := dd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d events (%d items, %d bodies) to %s in %s\n", pos, cfg.Items, cfg.Bodies, dir, time.Since(began).Round(time.Millisecond))
	return nil
}

// benchCmd measures the start-up of `serve` on a large log: the time from
// starting the process to its "serving" line (read models rebuilt from the
// whole log, listening), and its peak resident memory — beside a raw
// sequential read of the same log file in the same run.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := flags("bench startup", stderr, "", "data directory with a log (default: generate one in a temporary directory)")
	cfg := gen.DefaultConfig
	fs.IntVar(&cfg.Events, "events", cfg.Events, "events to generate when --data is not given")
	runs := fs.Int("runs", 3, "start-ups to measure")
	pos, err := parse(fs, args)
	if err != nil || len(pos) != 1 || pos[0] != "startup" {
		fmt.Fprintln(stderr, "usage: catalogue bench startup [--data DIR | --events N] [--runs N]")
		return errUsage
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "catalogue-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "data")
		if err := generate(ctx, dir, cfg, stderr, stderr); err != nil {
			return err
		}
	}
	rows, rawDur, err := rawRead(filepath.Join(dir, "events.db"))
	if err != nil {
		return err
	}
	rawRate := float64(rows) / rawDur.Seconds()
	fmt.Fprintf(stdout, "baseline: raw sequential read of %d events in %s (%.0f events/s)\n", rows, rawDur.Round(time.Millisecond), rawRate)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for i := range *runs {
		d, hwm, err := startOnce(ctx, self, dir)
		if err != nil {
			return err
		}
		rate := float64(rows) / d.Seconds()
		fmt.Fprintf(stdout, "start-up %d: %s to serving (%.0f events/s, ratio %.2f of the raw read), peak RSS %d MiB\n",
			i+1, d.Round(time.Millisecond), rate, rate/rawRate, hwm>>20)
	}
	return nil
}

// rawRead scans every row of the log's table as the store would, with no
// decoding: the floor of any start-up.
func rawRead(path string) (int, time.Duration, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	began := time.Now()
	rows, err := db.Query(`SELECT position, stream, revision, id, type, data, metadata, recorded_at FROM events ORDER BY position`)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var n int
	var (
		pos, rev, at int64
		stream, typ  string
		id, d, m     []byte
	)
	for rows.Next() {
		if err := rows.Scan(&pos, &stream, &rev, &id, &typ, &d, &m, &at); err != nil {
			return 0, 0, err
		}
		n++
	}
	return n, time.Since(began), rows.Err()
}

// startOnce starts `serve` on dir, waits for its serving line, reads its
// peak resident memory and stops it.
func startOnce(ctx context.Context, self, dir string) (time.Duration, int64, error) {
	cmd := exec.CommandContext(ctx, self, "serve", "--data", dir, "--addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer cmd.Wait()
	defer cmd.Process.Signal(syscall.SIGINT)
	if _, err := waitServing(out); err != nil {
		return 0, 0, err
	}
	d := time.Since(began)
	hwm, err := peakRSS(cmd.Process.Pid)
	return d, hwm, err
}

// waitServing reads serve's standard output up to its "catalogue serving
// URL" line and returns the URL; the rest of the output is drained so the
// process never blocks on a full pipe.
func waitServing(out io.Reader) (string, error) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "catalogue serving "); ok {
			go io.Copy(io.Discard, out)
			return strings.Fields(rest)[0], nil
		}
	}
	return "", fmt.Errorf("serve stopped before serving: %v", sc.Err())
}

// peakRSS reads a process's high-water resident set size from /proc.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("VmHWM not found")
}
