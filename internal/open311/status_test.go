package open311

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/i18n"
)

// The state table: every work-order state has exactly one row; only 办结 and
// 并单 are closed; each note reads in both languages; a merged order names
// its parent, a redone one says so.
func TestStatusTable(t *testing.T) {
	want := map[string]string{
		appeal.StateAccepted: "open", appeal.StateDispatched: "open", appeal.StateHandling: "open", appeal.StateReturned: "open",
		appeal.StateReplied: "open", appeal.StateVisited: "open", appeal.StateClosed: "closed", appeal.StateMerged: "closed",
	}
	rows := map[string]bool{}
	for _, m := range States {
		if rows[m.State] {
			t.Errorf("state %s has two rows", m.State)
		}
		rows[m.State] = true
	}
	for _, st := range appeal.States {
		if !rows[st] {
			t.Errorf("state %s has no row in the Open311 table", st)
		}
		a := &appeal.Appeal{State: st, ParentNo: "GD20261207000001"}
		for _, lang := range i18n.Langs {
			status, notes := Status(lang, a)
			if status != want[st] || notes == "" || strings.HasPrefix(notes, "open311.") {
				t.Errorf("%s in %s: %q %q, want %s and a note", st, lang, status, notes, want[st])
			}
		}
	}
	if _, n := Status(i18n.ZH, &appeal.Appeal{State: appeal.StateMerged, ParentNo: "GD1"}); !strings.Contains(n, "GD1") {
		t.Errorf("merged: %q names no parent", n)
	}
	if _, n := Status(i18n.ZH, &appeal.Appeal{State: appeal.StateHandling, Redone: true}); !strings.Contains(n, "重新办理") {
		t.Errorf("redone: %q", n)
	}
	if s, _ := Status(i18n.EN, &appeal.Appeal{State: "some-new-state"}); s != "open" {
		t.Errorf("an unknown state is %q, want open", s)
	}
}
