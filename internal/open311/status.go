package open311

import (
	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/i18n"
)

// StateMapping is how one of our work-order states is told to an Open311
// client: the specification's two statuses (open: reported; closed:
// resolved) and a note (status_notes, in the client's language).
type StateMapping struct {
	State  string // appeal.State*
	Status string // "open" or "closed"
	Note   string // message key of status_notes
}

// States maps every work-order state (docs/OPEN311.md has the same table):
//
//	state        status  status_notes
//	accepted     open    已受理，待派单
//	dispatched   open    已派单至承办部门，待签收
//	handling     open    承办部门办理中
//	returned     open    承办部门退单，待重新派单
//	replied      open    承办部门已答复，待回访
//	visited      open    已回访，待办结
//	closed       closed  已办结
//	merged       closed  已并入工单 {parent}（重复诉求）
//
// A reply is not the end: the requester is asked whether they are satisfied
// and the order may be handled again (重办), so only 办结 and 并单 close it.
var States = []StateMapping{
	{appeal.StateAccepted, "open", "open311.status.accepted"},
	{appeal.StateDispatched, "open", "open311.status.dispatched"},
	{appeal.StateHandling, "open", "open311.status.handling"},
	{appeal.StateReturned, "open", "open311.status.returned"},
	{appeal.StateReplied, "open", "open311.status.replied"},
	{appeal.StateVisited, "open", "open311.status.visited"},
	{appeal.StateClosed, "closed", "open311.status.closed"},
	{appeal.StateMerged, "closed", "open311.status.merged"},
}

// Status answers the Open311 status and status_notes of an order.
func Status(lang i18n.Lang, a *appeal.Appeal) (status, notes string) {
	for _, m := range States {
		if m.State == a.State {
			notes = i18n.T(lang, m.Note, map[string]any{"parent": a.ParentNo})
			if a.Redone && a.Open() {
				notes += i18n.T(lang, "open311.status.redone", nil)
			}
			return m.Status, notes
		}
	}
	// A state this table does not know yet is still being worked on.
	return "open", ""
}
