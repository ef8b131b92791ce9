package hubspotsync

import (
	"testing"

	"pretix-hubspot/hubspot"
)

// Runs queue on a record in the order they start; a live run goes before
// bulk runs that have not started writing it, after other live runs, and
// hurries those it waits for.
func TestLedgerLetsLiveRunsGoFirst(t *testing.T) {
	cases := []struct {
		name    string
		runs    string // b: bulk, l: live, in start order
		writing string // runs writing the record when the last starts
		want    string // the queue, first to last
		hurried string
	}{
		{"bulk runs in start order", "bbb", "", "012", ""},
		{"live before bulk runs", "bbl", "", "201", ""},
		{"live after the bulk runs writing", "bbbl", "01", "0132", "01"},
		{"live runs keep their order", "blbl", "", "1302", ""},
		{"a lone live run", "l", "", "0", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &Provider{ledger: newLedger()}
			var runs []*run
			for i, kind := range c.runs {
				ob := &object{ot: hubspot.Contacts, idProp: "email", idVal: "a@example.org"}
				r := &run{p: p, conn: &hubspot.Connection{HubID: 1}, objects: []*object{ob}, live: kind == 'l'}
				if i == len(c.runs)-1 {
					for _, x := range c.writing {
						runs[x-'0'].objects[0].hold.writing = true
					}
				}
				r.holdRecords()
				runs = append(runs, r)
			}
			last := runs[len(runs)-1]
			if last.live {
				last.reach(last.objects[0])
			}
			// Walk the queue back from its last hold.
			index := map[*hold]int{}
			for i, r := range runs {
				index[r.objects[0].hold] = i
			}
			var got []byte
			for h := p.ledger.last[last.ledgerKey(last.objects[0])]; h != nil; h = h.after {
				got = append([]byte{byte('0' + index[h])}, got...)
			}
			if string(got) != c.want {
				t.Errorf("queue %s, want %s", got, c.want)
			}
			var hurried []byte
			for i, r := range runs {
				if r.hurry.Load() {
					hurried = append(hurried, byte('0'+i))
				}
			}
			if string(hurried) != c.hurried {
				t.Errorf("hurried %q, want %q", hurried, c.hurried)
			}
		})
	}
}

// A finished run is forgotten: a record every round of a long backfill
// shares must not keep the earlier rounds (their objects and orders)
// reachable from the latest hold.
func TestLedgerForgetsFinishedRuns(t *testing.T) {
	for _, rounds := range []int{2, 10, 100} {
		p := &Provider{ledger: newLedger()}
		var prev *run
		for i := 0; i < rounds; i++ {
			ob := &object{ot: hubspot.Contacts, idProp: "email", idVal: "a@example.org"}
			r := &run{p: p, conn: &hubspot.Connection{HubID: 1}, objects: []*object{ob}}
			r.holdRecords()
			if prev != nil {
				prev.releaseRecords()
			}
			prev = r
		}
		depth := 0
		for h := p.ledger.last[prev.ledgerKey(prev.objects[0])]; h != nil; h = h.after {
			depth++
			if h != prev.objects[0].hold && h.hurry != nil {
				t.Errorf("%d rounds: a finished hold still points at its run", rounds)
			}
		}
		if depth > 2 {
			t.Errorf("%d rounds: %d holds reachable from the latest, want at most 2", rounds, depth)
		}
	}
}
