package cases

import (
	"context"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
	"github.com/tongban/tongban/internal/workflow"
)

// 一件事一次办 (R1.4, 国办发〔2022〕32号): one application for a bundle makes
// one parent case and one sub-case per item. Each sub-case runs its own
// item's process in its own department, in parallel; the parent concludes
// when every sub-case has settled, and the results are delivered once,
// through the parent.

// settled states end a sub-case's part in its bundle.
var settled = []string{"concluded", "delivered", "refused", "withdrawn", "terminated"}

// createBundle files an application for the bundle nc.Bundle.
func (s *Service) createBundle(ctx context.Context, u *identity.User, nc NewCase) (*Case, bool, error) {
	bv, err := s.catalog.BundleByCode(ctx, nc.Bundle, false)
	if err != nil {
		return nil, false, err
	}
	// The merged form, every item's fields once, less what a sub-case's
	// result fills (结果实时共享: not asked of the applicant).
	if err := catalog.UnknownValues(bv.AskedForm(), nc.Values); err != nil {
		return nil, false, err
	}
	if bv.Produces != nil {
		// It registers an enterprise: filed by the person who founds it
		// (its legal representative to be), not by an existing one.
		if u.Kind == identity.KindOrganisation || strings.TrimSpace(nc.Enterprise) != "" {
			return nil, false, apperr.E(apperr.Invalid, "case.bundle_founder", "bundle", bv.Name)
		}
		nc.founding = true
	}
	parentProc, _ := s.flows.Latest(workflow.Bundle)
	var out *Case
	err = s.db.Update(ctx, func(tx *db.Tx) error {
		var app *identity.Applicant
		var channel string
		var role identity.Role
		mandates := make([]*mandate.Ref, len(bv.Versions)) // an agent's: the mandate covering each item
		for i, ver := range bv.Versions {
			var err error
			if app, channel, role, err = s.applicantFor(tx, u, ver.Item, &nc); err != nil {
				return err
			}
			mandates[i] = nc.mandate
		}
		if role == identity.RoleClerk && !nc.Submit {
			return apperr.E(apperr.Invalid, "case.window_draft")
		}
		// The merged form names the applicant as each sub-case's does.
		if nc.Values == nil {
			nc.Values = catalog.Values{}
		}
		merged := &catalog.Item{Form: bv.AskedForm()}
		if err := s.bindIdentity(tx, merged, app.UserID, app.Kind, nc.Values); err != nil {
			return err
		}
		lead := bv.Versions[0]
		// The parent names the bundle; its item is the lead item (the first).
		parent, err := s.insert(tx, u, lead, app, channel, NewCase{ItemCode: lead.ImplCode, Values: nc.Values, IdempotencyKey: nc.IdempotencyKey, Delivery: nc.Delivery, mandate: mandates[0]})
		if err != nil {
			return err
		}
		start, _ := parentProc.State(parentProc.Start)
		parent.Process, parent.BundleCode, parent.ItemName, parent.State, parent.Status = parentProc.Ref(), bv.Code, bv.Name, start.Key, start.Status
		parent.Values = nc.Values
		if _, err := tx.Exec(`UPDATE cases SET process = $1, bundle_code = $2, item_name = $3, form_values = $4 WHERE id = $5`,
			parent.Process, bv.Code, bv.Name, SealValues(s.vault(), parent.ID, parent.Values), parent.ID); err != nil {
			return err
		}
		who := actor{u.ID, u.DisplayName, string(role)}
		if err := appendEvent(tx, parent, who, "create", "", parent.State, "", map[string]any{"channel": channel, "bundle": bv.Code}); err != nil {
			return err
		}
		// The uploads are the bundle's: the parent keeps them, and every
		// sub-case whose item asks for the material refers to the same file.
		if err := claimUploads(tx, u.ID, parent, nc.Materials); err != nil { // under the merged list's keys
			return err
		}
		var children []*Case
		for i, ver := range bv.Versions {
			child, err := s.insert(tx, u, ver, app, channel, NewCase{ItemCode: ver.ImplCode, Values: nc.Values,
				Answers: answersFor(ver.Item, nc.Answers), sameDelivery: &parent.Choice, mandate: mandates[i], founding: nc.founding})
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE cases SET parent_id = $1, bundle_code = $2 WHERE id = $3`, parent.ID, bv.Code, child.ID); err != nil {
				return err
			}
			child.ParentID, child.BundleCode = parent.ID, bv.Code
			if err := shareMaterials(tx, parent, child, bv, ver.Item); err != nil {
				return err
			}
			if err := appendEvent(tx, child, who, "create", "", child.State, "", map[string]any{"channel": channel, "bundle": parent.ID}); err != nil {
				return err
			}
			children = append(children, child)
		}
		if err := planPasses(tx, bv, children); err != nil {
			return err
		}
		if nc.Submit {
			if err := s.transition(tx, parent, lead.Item, who, []string{string(role)}, ActionRequest{Action: "submit"}); err != nil {
				return err
			}
			for i, child := range children {
				if err := s.transition(tx, child, bv.Versions[i].Item, who, []string{string(role)}, ActionRequest{Action: "submit"}); err != nil {
					return bundleFault(err, bv.Versions[i].Item)
				}
			}
		}
		if parent, err = s.load(tx, parent.ID); err != nil {
			return err
		}
		out, err = s.reply(tx, u, parent)
		return err
	})
	err = mandate.NoteUnmatched(ctx, s.db, u, err)
	if db.IsUniqueViolation(err) && nc.IdempotencyKey != "" {
		c, err := s.byIdempotencyKey(ctx, u, nc.IdempotencyKey)
		return c, false, err
	}
	if err != nil {
		return nil, false, apperr.Internalf("cases: create bundle", err)
	}
	return out, true, nil
}

// answersFor keeps the answers to the item's own questions.
func answersFor(it *catalog.Item, answers map[string]string) map[string]string {
	out := map[string]string{}
	if it.Situations == nil {
		return out
	}
	for _, q := range it.Situations.Questions {
		if a, ok := answers[q.Key]; ok {
			out[q.Key] = a
		}
	}
	return out
}

// shareMaterials gives child a record of each parent file its item asks
// for, under the item's own material key (the bytes are stored once, by
// their SHA-256).
func shareMaterials(tx *db.Tx, parent, child *Case, bv *catalog.BundleView, it *catalog.Item) error {
	for _, mm := range bv.Materials {
		if !slices.Contains(mm.Items, it.ImplCode) || mm.PassedFrom != "" {
			continue // a sibling's licence supplies it (planPasses)
		}
		i := slices.IndexFunc(it.Materials, func(m catalog.Material) bool { return catalog.SameMaterial(m, mm.Material) })
		if i < 0 {
			continue
		}
		if _, err := tx.Exec(`INSERT INTO case_materials (id, case_id, owner_id, material_key, filename, content_type, size, sha256, created_at)
			SELECT `+idExpr(tx)+`, $1, owner_id, $2, filename, content_type, size, sha256, created_at
			FROM case_materials WHERE case_id = $3 AND material_key = $4 AND replaced = FALSE`,
			child.ID, it.Materials[i].Key, parent.ID, mm.Key); err != nil {
			return err
		}
	}
	return nil
}

// idExpr makes a fresh id inside an INSERT … SELECT: each copied row needs
// its own, and there is at most a handful per material.
func idExpr(tx *db.Tx) string {
	if tx.Dialect == db.Postgres {
		return `md5(random()::text || clock_timestamp()::text)`
	}
	return `lower(hex(randomblob(16)))`
}

// settleParent concludes a bundle once none of its sub-cases is still open.
func (s *Service) settleParent(tx *db.Tx, parentID string) error {
	var open int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM cases WHERE parent_id = $1 AND state NOT IN ('concluded', 'delivered', 'refused', 'withdrawn', 'terminated')`,
		parentID).Scan(&open); err != nil {
		return err
	}
	if open > 0 {
		return nil
	}
	parent, err := s.load(tx, parentID)
	if err != nil || parent.State != "in_progress" {
		return err
	}
	it, err := s.catalog.ItemAt(tx, parent.ItemCode, parent.ItemVersion)
	if err != nil {
		return err
	}
	// The platform concludes it, as the composite window would.
	return s.transition(tx, parent, it, actor{Name: "系统", Role: "system"}, []string{string(identity.RoleClerk)}, ActionRequest{Action: "conclude"})
}

// deliverChildren delivers the concluded sub-cases with their bundle: one
// delivery for the whole 一件事.
func (s *Service) deliverChildren(tx *db.Tx, parent *Case, who actor) error {
	ids, err := tx.Strings(`SELECT id FROM cases WHERE parent_id = $1 AND state = 'concluded'`, parent.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		c, err := s.load(tx, id)
		if err != nil {
			return err
		}
		d, err := s.process(c)
		if err != nil {
			return err
		}
		st, ok := d.State("delivered")
		if !ok {
			continue
		}
		c.State, c.Status, c.Delivery, c.TrackingNo, c.DeliveredAt = st.Key, st.Status, parent.Delivery, parent.TrackingNo, parent.DeliveredAt
		if err := save(tx, c); err != nil {
			return err
		}
		if err := appendEvent(tx, c, who, "deliver", "concluded", st.Key, "", map[string]any{"with_bundle": parent.No}); err != nil {
			return err
		}
	}
	return nil
}

// bundleFault is a sub-case's refusal as the bundle's: the item named, and
// each of its faults naming the field or material and the item, so that the
// applicant of the merged form is told what to correct (issue 17).
func bundleFault(err error, it *catalog.Item) error {
	e := apperr.As(err)
	if e.Code == apperr.Internal {
		return err
	}
	out := apperr.E(apperr.Invalid, "case.bundle_item", "item", it.Name, "reason", e)
	for _, d := range e.Details {
		w := apperr.Where{}
		if d.At != nil {
			w = *d.At
		}
		w.Item, w.ItemEN = it.Name, it.NameEN
		out.Details = append(out.Details, d.Naming(w))
	}
	return out
}
