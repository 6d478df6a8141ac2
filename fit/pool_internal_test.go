package fit

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestChooser drives the team-or-solo choice with given run times: it
// must leave the team for solo when the team is slower (a busy machine),
// come back when the team is faster again, probe less and less often
// while the other way stays slower, and never switch on one fast probe.
func TestChooser(t *testing.T) {
	const team, solo = 100 * time.Microsecond, 60 * time.Microsecond
	cost := func(s bool) time.Duration {
		if s {
			return solo
		}
		return team
	}
	var c chooser
	run := func(n int, cost func(solo bool) time.Duration) (solos, probes int) {
		for range n {
			s, p := c.next()
			c.observe(s, p, cost(s))
			if s {
				solos++
			}
			if p {
				probes++
			}
		}
		return solos, probes
	}
	// Team slower: after the first probe (firstProbe team runs, probeRuns
	// probe runs) it runs solo, and probes the team at growing intervals.
	solos, probes := run(10_000, cost)
	if !c.solo {
		t.Fatal("the team is slower, and the pool still runs it")
	}
	if solos < 10_000-firstProbe-probeRuns*16 {
		t.Errorf("%d of 10000 runs solo", solos)
	}
	// 1 probe, then at intervals that at least double: at most 16 probes.
	if probes > probeRuns*16 {
		t.Errorf("%d probe runs in 10000, where the probes back off", probes)
	}
	// The machine gets idle: the team is faster; by the next probe it runs
	// the team again.
	faster := func(s bool) time.Duration {
		if s {
			return solo
		}
		return solo / 2
	}
	run(c.interval+probeRuns, faster)
	if c.solo {
		t.Fatal("the team is faster again, and the pool still runs solo")
	}
	// One fast probe run among slow ones does not switch, nor does a slow
	// warm-up keep a faster way from being taken.
	var d chooser
	i := 0
	for range 200 {
		s, p := d.next()
		dur := team
		if s {
			dur = 2 * team // solo slower
			if p && i%probeRuns == 1 {
				dur = team / 2 // but every second probe run fast
			}
			i++
		}
		d.observe(s, p, dur)
	}
	if d.solo {
		t.Error("one fast probe run switched to solo")
	}
	// Team cycles a hundred times a solo one (a worker descheduled for a
	// time slice): the probes take a small share of the time.
	var h chooser
	var total, probing time.Duration
	for range 100_000 {
		s, p := h.next()
		dur := 100 * solo
		if s {
			dur = solo
		}
		h.observe(s, p, dur)
		total += dur
		if p {
			probing += dur
		}
	}
	if share := float64(probing) / float64(total); !h.solo || share > 3.0/probeShare {
		t.Errorf("slow team: solo %v, probes %.3g of the time", h.solo, share)
	}
	// The same from the start, in a short fit: once it has switched to
	// solo, the next team probe comes only when it would take 1/probeShare
	// of the time (after about 15000 cycles), not a few cycles later.
	var f chooser
	teams := 0
	for range 1000 {
		s, p := f.next()
		dur := 100 * solo
		if s {
			dur = solo
		} else {
			teams++
		}
		f.observe(s, p, dur)
	}
	if teams > firstProbe {
		t.Errorf("slow team: %d team cycles in the first 1000, where the first %d found it slow", teams, firstProbe)
	}
	var w chooser
	i = 0
	for range 200 {
		s, p := w.next()
		dur := team
		if s {
			dur = team / 2 // solo faster
			if p && i%probeRuns == 0 {
				dur = 10 * team // but its warm-up slow
			}
			i++
		}
		w.observe(s, p, dur)
	}
	if !w.solo {
		t.Error("a slow warm-up kept the pool from the faster way")
	}
}

// TestPoolRunsEveryChunk checks that a run covers every chunk exactly
// once, on the team and on the caller alone.
func TestPoolRunsEveryChunk(t *testing.T) {
	const chunks = 37
	var hits [chunks]atomic.Int32
	p := newPool(3, chunks, func(_, c int) { hits[c].Add(1) })
	defer p.close()
	for r := range 200 {
		p.run(0)
		for c := range chunks {
			if h := hits[c].Swap(0); h != 1 {
				t.Fatalf("run %d: chunk %d ran %d times", r, c, h)
			}
		}
	}
	// Force both ways.
	for _, solo := range []bool{false, true} {
		p.choose = chooser{solo: solo, interval: maxInterval}
		p.run(0) // the clock: takes the chooser's way
		p.run(1)
		for c := range chunks {
			if h := hits[c].Swap(0); h != 2 {
				t.Fatalf("solo %v: chunk %d ran %d times in two runs", solo, c, h)
			}
		}
		if p.solo != solo {
			t.Fatalf("the pool runs solo %v, the chooser says %v", p.solo, solo)
		}
	}
	// 200 cycles, then one team and one solo: kind 1 runs start none.
	if got, want := p.teamShare(), float64(p.cycles[0])/202; p.cycles[0]+p.cycles[1] != 202 || got != want || p.cycles[1] < 1 {
		t.Errorf("cycles %v, team share %v", p.cycles, got)
	}
}
