package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// goal is one row of issue 12's table of goals, measured against the bare
// signed baseline of the same run.
type goal struct {
	Name  string   // the issue's words
	Ops   []string // the operations whose rows measure it
	Conc  int      // the clients the issue names
	P50   bool     // the figure is the p50 of the operation's first step with Conc workers; else the run's req/s ratio
	Limit float64  // the ratio at least Limit, or the p50 at most Limit milliseconds
	Write bool     // the goal also asks for writes fsync'd before the answer
}

// issue12Goals are the goals of issue 12's table, in its order.
var issue12Goals = []goal{
	{Name: "DescribeInstanceRamRole (1 id), c=32", Ops: []string{"describe1"}, Conc: 32, Limit: 0.70},
	{Name: "DescribeInstanceRamRole (1 id), c=64", Ops: []string{"describe1"}, Conc: 64, Limit: 0.70},
	{Name: "ListHostsForUserGroup (page of 20), c=32", Ops: []string{"listhosts"}, Conc: 32, Limit: 0.70},
	{Name: "ListHostsForUserGroup (page of 20), c=64", Ops: []string{"listhosts"}, Conc: 64, Limit: 0.70},
	{Name: "Attach or Detach 1 instance, c=32", Ops: []string{"attach1"}, Conc: 32, Limit: 0.40, Write: true},
	{Name: "Attach or Detach 1 instance, c=64", Ops: []string{"attach1"}, Conc: 64, Limit: 0.40, Write: true},
	{Name: "DetachInstanceRamRole of 100, 1 client, p50", Ops: []string{"detach100", "detach100-c1"}, Conc: 1, P50: true, Limit: 2, Write: true},
	{Name: "DetachInstanceRamRole of 100, 64 clients, req/s ratio", Ops: []string{"detach100"}, Conc: 64, Limit: 0.15, Write: true},
}

// figure finds the goal's figure in rows: the p50 in milliseconds or the
// ratio of the run's requests (every step of its cycle) to the baseline's,
// the workers of that run, and whether any row measured it. A run counts
// for the goal's concurrency when that concurrency was asked of it, though
// the world may have capped its workers (detach100 has 5 in the small world).
func (g goal) figure(rows []Row) (v float64, conc int, ok bool) {
	for i, row := range rows {
		if row.Step != 0 || !slices.Contains(g.Ops, row.Op) || row.Server.N == 0 {
			continue
		}
		if g.P50 {
			if row.Server.Conc == g.Conc {
				return float64(row.Server.P50) / 1e6, row.Server.Conc, true
			}
			continue
		}
		if !slices.Contains(row.Asked, g.Conc) {
			continue
		}
		var s, b float64
		for j := i; j < len(rows) && rows[j].Op == row.Op && rows[j].Server.Conc == row.Server.Conc && (j == i || rows[j].Step > 0); j++ {
			s += rows[j].Server.RPS
			b += rows[j].Baseline.RPS
		}
		if b > 0 {
			return s / b, row.Server.Conc, true
		}
	}
	return 0, 0, false
}

// met reports whether the figure v reaches the goal (fsync aside).
func (g goal) met(v float64) bool {
	if g.P50 {
		return v <= g.Limit
	}
	return v >= g.Limit
}

// target is the goal column: "≥ 0.70", "≤ 2 ms, fsync'd".
func (g goal) target() string {
	t := "≥ " + strconv.FormatFloat(g.Limit, 'f', 2, 64)
	if g.P50 {
		t = "≤ " + strconv.FormatFloat(g.Limit, 'f', -1, 64) + " ms"
	}
	if g.Write {
		t += ", fsync'd"
	}
	return t
}

// format writes a figure: "0.58", "3.90 ms".
func (g goal) format(v float64) string {
	if g.P50 {
		return fmtDur(time.Duration(v * 1e6))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// goalRow is one line of the goals table: over one run or the spread of
// several.
func goalRow(g goal, runs []*WorldResult) (figure, met string, measured bool) {
	var vs []float64
	conc, nMet := 0, 0
	for _, r := range runs {
		v, c, ok := g.figure(r.Rows)
		if !ok {
			continue
		}
		vs = append(vs, v)
		conc = c
		if g.met(v) {
			nMet++
		}
	}
	if len(vs) == 0 {
		return "not measured", "–", false
	}
	lo, hi := slices.Min(vs), slices.Max(vs)
	figure = g.format(lo)
	if hi != lo {
		figure += "–" + g.format(hi)
	}
	if conc != g.Conc {
		// The world capped the workers (detach100 in the small world has
		// 5): the figure is shown, the goal not judged.
		figure += " (" + plural(conc, "client") + ")"
		return figure, fmt.Sprintf("not judged: the world has disjoint objects for %s only", plural(conc, "client")), true
	}
	met = "no"
	if nMet == len(runs) {
		met = "yes"
	}
	if len(runs) > 1 {
		met += fmt.Sprintf(" (%d of %d runs)", nMet, len(runs))
	}
	if g.Write && nMet > 0 {
		switch runs[0].Fsync {
		case fsyncNo:
			met = "no: writes not fsync'd (figure " + met + ")"
		case fsyncUnstated:
			met += "; fsync not stated by the server"
		}
	}
	return figure, met, true
}

// printGoals writes the issue 12 goals table over runs of one world (one
// run, or the spread of several): nothing when no run measured any goal.
func printGoals(w io.Writer, runs []*WorldResult) {
	type line struct{ g, figure, met string }
	var lines []line
	measured := false
	for _, g := range issue12Goals {
		f, m, ok := goalRow(g, runs)
		measured = measured || ok
		lines = append(lines, line{g.Name, f, m})
	}
	if !measured {
		return
	}
	if len(runs) > 1 {
		fmt.Fprintf(w, "\n### Issue 12 goals over %d runs (min–max)\n\n", len(runs))
	} else {
		fmt.Fprintf(w, "\n### Issue 12 goals\n\n")
	}
	fmt.Fprintln(w, "| operation | figure | goal | met? |")
	fmt.Fprintln(w, "|---|---:|---|---|")
	for i, l := range lines {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", l.g, l.figure, issue12Goals[i].target(), l.met)
	}
}

// spreadKey names one row across runs of a world.
type spreadKey struct {
	op         string
	step, conc int
}

// printSpread writes the spread (min–max) of every figure over runs of one
// world, then the goals over them.
func printSpread(w io.Writer, runs []*WorldResult) {
	var keys []spreadKey
	byKey := map[spreadKey][]Row{}
	label := map[spreadKey]string{}
	for _, r := range runs {
		for _, row := range r.Rows {
			k := spreadKey{row.Op, row.Step, row.Server.Conc}
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
				label[k] = row.Server.Label
			}
			byKey[k] = append(byKey[k], row)
		}
	}
	fmt.Fprintf(w, "\n## %d instances: spread over %d runs (min–max)\n\n", runs[0].World.Instances, len(runs))
	fmt.Fprintln(w, "| Operation | clients | runs | req/s | p50 | p99 | ratio | commits/fsync | errors |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, k := range keys {
		rows := byKey[k]
		var rps, ratio, per []float64
		var p50, p99 []time.Duration
		errs := 0
		for _, row := range rows {
			rps = append(rps, row.Server.RPS)
			ratio = append(ratio, row.Server.RPS/max(row.Baseline.RPS, 1e-9))
			p50, p99 = append(p50, row.Server.P50), append(p99, row.Server.P99)
			if v, ok := row.Commits.PerFsync(); ok {
				per = append(per, v)
			}
			errs += row.Server.Errors + row.Baseline.Errors
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s | %s | %d |\n", label[k], k.conc, len(rows),
			floatRange(rps, 0), durRange(p50), durRange(p99), floatRange(ratio, 2), floatRange(per, 1), errs)
	}
	printGoals(w, runs)
}

// floatRange is "min–max" of vs with prec decimals, one figure when they
// print alike, "–" when vs is empty.
func floatRange(vs []float64, prec int) string {
	if len(vs) == 0 {
		return "–"
	}
	lo := strconv.FormatFloat(slices.Min(vs), 'f', prec, 64)
	hi := strconv.FormatFloat(slices.Max(vs), 'f', prec, 64)
	if lo == hi {
		return lo
	}
	return lo + "–" + hi
}

// durRange is "min–max" of ds as fmtDur writes them.
func durRange(ds []time.Duration) string {
	if len(ds) == 0 {
		return "–"
	}
	lo, hi := fmtDur(slices.Min(ds)), fmtDur(slices.Max(ds))
	if lo == hi {
		return lo
	}
	return lo + "–" + hi
}

// plural is "1 client", "5 clients".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
