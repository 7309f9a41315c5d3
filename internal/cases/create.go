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

// NewCase is an application as the applicant, an agent or a clerk files it.
type NewCase struct {
	ItemCode   string            `json:"item_code,omitempty"`
	Bundle     string            `json:"bundle,omitempty"` // a 一件事 bundle code instead of an item: one parent case and a sub-case per item
	Values     catalog.Values    `json:"form_values"`
	Answers    map[string]string `json:"answers,omitempty"`   // situation answers
	Materials  []MaterialRef     `json:"materials,omitempty"` // uploads to attach
	Submit     bool              `json:"submit"`              // false: save a draft
	Commitment bool              `json:"commitment"`          // 告知承诺: the applicant signs the commitment
	// Delivery is how the applicant asks to receive the result (window,
	// post with an address, online); left out, the channel's default
	// (checkDelivery).
	Delivery *DeliveryChoice `json:"delivery,omitempty"`
	// sameDelivery: a 一件事's sub-case takes its parent's choice as it is
	// (one choice for the bundle, delivered once).
	sameDelivery *DeliveryChoice
	// Applicant names the applicant when an agent or a clerk files: a citizen
	// ID number or a unified social credit code.
	Applicant string `json:"applicant,omitempty"`
	// Enterprise files as an enterprise (its unified social credit code)
	// that the person holds as legal representative or acts for as a
	// 经办人 whose scope covers the item: the case is the enterprise's, and
	// records who filed it.
	Enterprise string `json:"enterprise,omitempty"`
	// ApplicantName registers a walk-in natural person at a window when the
	// ID number is not registered yet.
	ApplicantName string `json:"applicant_name,omitempty"`
	// Accept: a clerk accepts (受理) at once after checking the originals.
	Accept    bool     `json:"accept,omitempty"`
	Originals []string `json:"originals_checked,omitempty"` // material keys whose originals the clerk saw
	// IdempotencyKey makes a retried submission return the first one's case.
	IdempotencyKey string `json:"-"`
	// mandate is the mandate an agent files under (applicantFor).
	mandate *mandate.Ref
	// founding: a bundle that registers an enterprise (企业开办), filed by
	// a natural person for the enterprise not yet created (applicantFor).
	founding bool
}

// MaterialRef attaches an uploaded file as a material of the item.
type MaterialRef struct {
	Key string `json:"key"` // the item's material key
	ID  string `json:"id"`  // the upload's id
}

// Create files an application: a draft, or a submission that takes the case
// number and starts pre-review. Returns the case and whether it is new
// (false when the idempotency key names an earlier submission).
//
// Who may: a natural or legal person for themselves; an agent (代办员) for a
// registered applicant of their region; a window clerk for any applicant of
// their hall's region, registering a walk-in person if needed. Errors:
// Invalid for a bad item, form, answer, material or applicant; Forbidden for
// a role that may not file.
func (s *Service) Create(ctx context.Context, u *identity.User, nc NewCase) (*Case, bool, error) {
	if u == nil {
		return nil, false, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if nc.IdempotencyKey != "" {
		if c, err := s.byIdempotencyKey(ctx, u, nc.IdempotencyKey); err == nil {
			return c, false, nil
		} else if apperr.CodeOf(err) != apperr.NotFound {
			return nil, false, err
		}
	}
	if nc.Bundle != "" {
		return s.createBundle(ctx, u, nc)
	}
	var c *Case
	// One transaction: the item's current version, the applicant (a walk-in
	// registered with the case, or not at all), the case and its events.
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		ver, err := s.catalog.PublishedSharedTx(tx, nc.ItemCode)
		if err != nil {
			return err
		}
		if err := catalog.UnknownValues(ver.Item.Form, nc.Values); err != nil {
			return err
		}
		app, channel, role, err := s.applicantFor(tx, u, ver.Item, &nc)
		if err != nil {
			return err
		}
		if role == identity.RoleClerk && !nc.Submit {
			return apperr.E(apperr.Invalid, "case.window_draft")
		}
		who := actor{u.ID, u.DisplayName, string(role)}
		if !nc.Submit {
			// A draft: its row and the event that created it.
			if c, err = s.insert(tx, u, ver, app, channel, nc); err != nil {
				return err
			}
			if err := appendEvent(tx, c, who, "create", "", c.State, "", map[string]any{"channel": channel}); err != nil {
				return err
			}
		} else {
			// Filed and submitted at once: one change, so one event (submit,
			// with the channel) and, when nothing must refer to the row
			// before the submission, one row written in its submitted state.
			if c, err = s.newCase(tx, u, ver, app, channel, nc); err != nil {
				return err
			}
			if len(nc.Materials) > 0 || (s.licensing != nil && ver.Item.TakesLicences()) {
				if err := storeNew(tx, c); err != nil { // at revision 0: the submission makes it 1
					return err
				}
				if err := attach(tx, u.ID, c, ver.Item, nc.Materials); err != nil {
					return err
				}
			}
			// Accepted at once at the window: the acceptance tells the
			// applicant (with the number and the date), not the submission too.
			if err := s.transition(tx, c, ver.Item, who, []string{string(role)}, ActionRequest{Action: "submit", channel: channel, quiet: nc.Accept}); err != nil {
				return err
			}
		}
		if nc.Accept {
			if role != identity.RoleClerk {
				return apperr.E(apperr.Forbidden, "workflow.role_forbidden", "action", workflow.Label("action", "accept"))
			}
			if err := s.transition(tx, c, ver.Item, who, []string{string(role)}, ActionRequest{Action: "accept", Originals: nc.Originals}); err != nil {
				return err
			}
		}
		// The reply is the case in memory, as after any action; the names a
		// read would join in are known here.
		c.Department = ver.DepartmentName
		if c.AgentID != "" {
			c.AgentName = u.DisplayName
		}
		c, err = s.reply(tx, u, c)
		return err
	})
	err = mandate.NoteUnmatched(ctx, s.db, u, err)
	if db.IsUniqueViolation(err) && nc.IdempotencyKey != "" {
		// The same key raced us and won: answer with its case.
		c, err := s.byIdempotencyKey(ctx, u, nc.IdempotencyKey)
		return c, false, err
	}
	if err != nil {
		return nil, false, apperr.Internalf("cases: create", err)
	}
	return c, true, nil
}

// applicantFor decides whose case this is and through which channel.
//
// An agent's filing names the mandate it is filed under in nc.mandate.
func (s *Service) applicantFor(tx *db.Tx, u *identity.User, it *catalog.Item, nc *NewCase) (*identity.Applicant, string, identity.Role, error) {
	var app *identity.Applicant
	var err error
	channel, role := ChannelOnline, identity.RoleApplicant
	switch {
	case strings.TrimSpace(nc.Enterprise) != "":
		if u.Kind != identity.KindPerson {
			return nil, "", "", apperr.E(apperr.Forbidden, "enterprise.person_only")
		}
		var er *identity.EnterpriseRole
		if er, err = s.identity.EnterpriseRoleTx(tx, u.ID, nc.Enterprise); err != nil {
			return nil, "", "", err
		}
		if !er.Covers(it.ImplCode) {
			return nil, "", "", apperr.E(apperr.Forbidden, "enterprise.out_of_scope", "name", er.Name, "item", it.Name)
		}
		app, err = s.identity.ApplicantOfTx(tx, &identity.User{ID: er.OrganisationID, Kind: identity.KindOrganisation})
	case u.Kind != identity.KindStaff && nc.Applicant == "":
		app, err = s.identity.ApplicantOfTx(tx, u)
	case u.Has(identity.RoleAgent) && (nc.Applicant != "" || nc.ApplicantName != ""):
		channel, role = ChannelAgent, identity.RoleAgent
		if !agentServes(u, it.Region) {
			return nil, "", "", apperr.E(apperr.Forbidden, "case.out_of_region")
		}
		app, nc.mandate, err = s.agentApplicant(tx, u, it.ImplCode, *nc)
	case u.Has(identity.RoleClerk):
		channel, role = ChannelWindow, identity.RoleClerk
		if !coversRegion(u, identity.RoleClerk, it.Region) {
			return nil, "", "", apperr.E(apperr.Forbidden, "case.out_of_region")
		}
		if strings.TrimSpace(nc.Applicant) == "" {
			return nil, "", "", apperr.E(apperr.Invalid, "case.applicant_required")
		}
		app, err = s.identity.ApplicantByNumberTx(tx, nc.Applicant)
		if apperr.Is(err, apperr.NotFound, "") && nc.ApplicantName != "" {
			app, err = s.identity.RegisterWalkInTx(tx, nc.ApplicantName, nc.Applicant)
		}
	default:
		return nil, "", "", apperr.E(apperr.Forbidden, "case.cannot_file")
	}
	if err != nil {
		return nil, "", "", err
	}
	// 服务对象: an item for natural persons is not filed by an enterprise, and vice versa.
	wantPerson := app.Kind == identity.KindPerson
	// A founder files for the enterprise their filing creates.
	if !(nc.founding && wantPerson) && !slices.ContainsFunc(it.Objects, func(o int) bool { return (o == 1) == wantPerson }) {
		return nil, "", "", apperr.E(apperr.Invalid, "case.object_mismatch", "item", it.Name)
	}
	// An item that requires L2: a person filing online or through an agent
	// must have been seen at a window; at a window the clerk sees them.
	if it.RequiresL2 && wantPerson && channel != ChannelWindow {
		level, err := s.identity.AssuranceOfTx(tx, app.UserID)
		if err != nil {
			return nil, "", "", err
		}
		if level < identity.AssuranceL2 {
			return nil, "", "", apperr.E(apperr.Forbidden, "case.assurance_required")
		}
	}
	return app, channel, role, nil
}

// processFor: 即办件 and 告知承诺 are decided at acceptance; an item may name
// its own process; everything else runs the standard five steps.
func (s *Service) processFor(it *catalog.Item, commitment bool) (*workflow.Definition, error) {
	key := workflow.Standard
	switch {
	case it.Handling == 1 || commitment:
		key = workflow.OnTheSpot
	case it.Process != "":
		key = it.Process // validated against workflow.ItemProcesses when the item was saved
	}
	d, ok := s.flows.Latest(key)
	if !ok {
		return nil, apperr.Internalf("cases: process", apperr.E(apperr.Internal, "error.internal"))
	}
	return d, nil
}

// insert writes a new case at revision 1 with its uploads (a draft, a
// bundle's cases).
func (s *Service) insert(tx *db.Tx, u *identity.User, ver *catalog.Version, app *identity.Applicant, channel string, nc NewCase) (*Case, error) {
	c, err := s.newCase(tx, u, ver, app, channel, nc)
	if err != nil {
		return nil, err
	}
	c.Rev = 1
	if err := storeNew(tx, c); err != nil {
		return nil, err
	}
	if err := attach(tx, u.ID, c, ver.Item, nc.Materials); err != nil {
		return nil, err
	}
	return c, nil
}

// newCase is the case an application makes, in memory: revision 0, not
// stored (save or storeNew writes it).
func (s *Service) newCase(tx *db.Tx, u *identity.User, ver *catalog.Version, app *identity.Applicant, channel string, nc NewCase) (*Case, error) {
	it := ver.Item
	if nc.Commitment && !it.Commitment {
		return nil, apperr.E(apperr.Invalid, "case.commitment_not_offered")
	}
	if err := checkAnswers(it, nc.Answers); err != nil {
		return nil, err
	}
	choice, err := checkDelivery(it, channel, nc.Delivery)
	if nc.sameDelivery != nil {
		choice, err = *nc.sameDelivery, nil
	}
	if err != nil {
		return nil, err
	}
	proc, err := s.processFor(it, nc.Commitment)
	if err != nil {
		return nil, err
	}
	start, _ := proc.State(proc.Start)
	vals := cleanValues(it, nc.Values)
	if err := s.bindIdentity(tx, it, app.UserID, app.Kind, vals); err != nil {
		return nil, err
	}
	c := &Case{
		ID: db.NewID(), ItemID: ver.ItemID, ItemCode: it.ImplCode, ItemVersion: ver.Version, ItemName: it.Name,
		DepartmentID: ver.DepartmentID, Region: it.Region, Process: proc.Ref(), State: start.Key, Status: start.Status,
		ApplicantID: app.UserID, ApplicantName: app.Name, ApplicantKind: string(app.Kind), ApplicantMasked: app.Masked,
		Channel: channel, CreatedBy: u.ID, Values: vals, Answers: nc.Answers,
		Commitment: nc.Commitment, PromisedLimit: it.Promised(), CreatedAt: tx.Now, UpdatedAt: tx.Now,
		history: &history{}, // a new case has no pauses, extensions or countersigns
		Pauses:  []Pause{}, Extensions: []Extension{},
		unstored: true, idempotencyKey: nc.IdempotencyKey, QueryCode: newQueryCode(), sealer: s.vault(),
		Choice: choice,
	}
	c.postSealed = sealPost(s.vault(), c.ID, choice)
	if err := openPost(s.vault(), c.ID, c.postSealed, &c.Choice); err != nil {
		return nil, err
	}
	if c.Answers == nil {
		c.Answers = map[string]string{}
	}
	if channel == ChannelAgent {
		c.AgentID = u.ID
		if nc.mandate != nil {
			c.MandateID, c.Mandate = nc.mandate.ID, nc.mandate
		}
	}
	return c, nil
}

// IdentityFields are the form fields that name the applicant themselves: a
// natural person's name and citizen ID number, an organisation's name and
// unified social credit code. Their values are the applicant's registered
// identity, never typed: a form naming someone else is filed by an agent or
// at a window, for that someone (issue 14).
var IdentityFields = map[identity.Kind][]string{
	identity.KindPerson:       {"applicant_name", "applicant_id"},
	identity.KindOrganisation: {"org_name", "org_credit_code"},
}

// bindIdentity fills the identity fields of vals (those of the item's form)
// from the applicant's registered identity, and refuses a value that differs.
func (s *Service) bindIdentity(tx *db.Tx, it *catalog.Item, applicantID string, kind identity.Kind, vals catalog.Values) error {
	keys := IdentityFields[kind]
	var fields []catalog.Field
	for _, k := range keys {
		if i := slices.IndexFunc(it.Form, func(f catalog.Field) bool { return f.Key == k }); i >= 0 {
			fields = append(fields, it.Form[i])
		}
	}
	if len(fields) == 0 {
		return nil
	}
	h, err := s.identity.HolderOf(tx, applicantID)
	if err != nil {
		return err
	}
	for _, f := range fields {
		want := h.Name
		if f.Key == keys[1] {
			want = h.Code
		}
		got := vals[f.Key]
		switch {
		case len(got) == 0 || len(got) == 1 && strings.TrimSpace(got[0]) == "":
			vals[f.Key] = []string{want}
		case len(got) != 1 || !sameIdentity(got[0], want):
			return apperr.E(apperr.Invalid, "case.identity_bound", "field", f.Label)
		default:
			vals[f.Key] = []string{want}
		}
	}
	return nil
}

// sameIdentity compares a typed name or number with the registered one:
// surrounding spaces and the case of a number's letters do not matter.
func sameIdentity(typed, registered string) bool {
	return strings.EqualFold(strings.TrimSpace(typed), registered)
}

// cleanValues keeps only the values of the item's form fields.
func cleanValues(it *catalog.Item, vals catalog.Values) catalog.Values {
	out := catalog.Values{}
	for _, f := range it.Form {
		if vs, ok := vals[f.Key]; ok {
			out[f.Key] = vs
		}
	}
	return out
}

// checkAnswers refuses answers to questions the item does not ask, or
// options it does not offer.
func checkAnswers(it *catalog.Item, answers map[string]string) error {
	for q, a := range answers {
		ok := false
		if it.Situations != nil {
			for _, question := range it.Situations.Questions {
				if question.Key == q {
					ok = slices.ContainsFunc(question.Options, func(o catalog.Option) bool { return o.Value == a })
				}
			}
		}
		if !ok {
			return apperr.E(apperr.Invalid, "case.answer_invalid", "question", q)
		}
	}
	return nil
}

func (s *Service) byIdempotencyKey(ctx context.Context, u *identity.User, key string) (*Case, error) {
	var ref string
	err := s.db.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT COALESCE(case_no, id) FROM cases WHERE created_by = $1 AND idempotency_key = $2`, u.ID, key).Scan(&ref)
		return db.NotFound(err, "case.not_found", "ref", key)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, u, ref)
}
