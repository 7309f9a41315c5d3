package appeal

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// SubmitInput is a new order as a requester, an operator or an Open311
// client gives it.
type SubmitInput struct {
	Channel    string   `json:"channel"`
	Type       string   `json:"type"`
	Category   string   `json:"category"`
	Urgency    string   `json:"urgency,omitempty"` // normal (default) or urgent
	RegionCode string   `json:"region_code"`
	Location   string   `json:"location,omitempty"`
	Lat        *float64 `json:"lat,omitempty"`
	Lng        *float64 `json:"lng,omitempty"`

	Description string `json:"description"`
	// Anonymous: consultations and suggestions only.
	Anonymous bool `json:"anonymous"`
	// Contact: the requester consents to be contacted (回访 by phone).
	Contact bool `json:"contact"`
	// Publish: the requester consents to the reply being published
	// (personal data removed).
	Publish bool `json:"publish"`
	// Name, Phone, Email: an operator's entry or an Open311 client's
	// request (a signed-in requester is their account).
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`

	RelatedCaseNo string `json:"related_case_no,omitempty"`
	ImplCode      string `json:"impl_code,omitempty"`
	// Attachments are uploads (POST /api/v1/materials) of the submitter.
	Attachments []string `json:"attachments,omitempty"`
	// ExternalClient is the Open311 client's id (channel open311).
	ExternalClient string `json:"-"`
}

var (
	phoneForm  = regexp.MustCompile(`^[0-9+\-]{5,20}$`)
	caseNoForm = regexp.MustCompile(`^[0-9A-Za-z\-]{1,64}$`)
)

// Submit accepts an order (已受理) and starts its dispatch clock.
//
//   - A signed-in person or organisation submits on web or mobile as
//     themselves, or anonymously where the type allows it;
//   - a window clerk (operator) enters a phone, letter or walk-in order,
//     naming the requester (or anonymously where allowed);
//   - no user: an anonymous web or mobile consultation or suggestion, or an
//     Open311 client's request (channel open311, ExternalClient set).
//
// Every refusal writes nothing.
func (s *Service) Submit(ctx context.Context, u *identity.User, in SubmitInput) (*Appeal, error) {
	in.Category, in.Type, in.Channel = strings.TrimSpace(in.Category), strings.TrimSpace(in.Type), strings.TrimSpace(in.Channel)
	in.Description, in.Location = strings.TrimSpace(in.Description), strings.TrimSpace(in.Location)
	in.Name, in.Phone, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Phone), strings.TrimSpace(in.Email)
	in.RelatedCaseNo, in.ImplCode = strings.TrimSpace(in.RelatedCaseNo), strings.TrimSpace(in.ImplCode)
	if in.Urgency == "" {
		in.Urgency = UrgencyNormal
	}
	if err := checkWho(u, &in); err != nil {
		return nil, err
	}
	if err := checkInput(&in); err != nil {
		return nil, err
	}
	var id string
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		c, err := category(tx, in.Category)
		if apperr.CodeOf(err) == apperr.NotFound {
			return apperr.E(apperr.Invalid, "appeal.category_unknown", "code", in.Category)
		}
		if err != nil {
			return err
		}
		if !c.Enabled {
			return apperr.E(apperr.Invalid, "appeal.category_unknown", "code", in.Category)
		}
		if !c.Takes(in.Type) {
			return apperr.E(apperr.Invalid, "appeal.category_type", "code", in.Category, "type", "appeal.type."+in.Type)
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM regions WHERE code = $1`, in.RegionCode).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(apperr.Invalid, "appeal.region_unknown", "code", in.RegionCode)
		}
		if in.RelatedCaseNo != "" {
			if err := tx.QueryRow(`SELECT COUNT(*) FROM cases WHERE case_no = $1`, in.RelatedCaseNo).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return apperr.E(apperr.Invalid, "appeal.case_unknown")
			}
		}
		if in.ImplCode != "" {
			if err := tx.QueryRow(`SELECT COUNT(*) FROM items WHERE impl_code = $1`, in.ImplCode).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return apperr.E(apperr.Invalid, "appeal.item_unknown", "code", in.ImplCode)
			}
		}
		no, err := nextNo(tx)
		if err != nil {
			return err
		}
		id = db.NewID()
		var requester, entered any
		actorRole := "requester"
		switch {
		case u != nil && u.Kind == identity.KindStaff:
			entered, actorRole = u.ID, string(identity.RoleClerk)
		case u != nil:
			requester = u.ID
			if !in.Anonymous {
				in.Name = u.DisplayName
			}
		}
		var name, phone, phoneMasked, email string
		if !in.Anonymous {
			v := s.Identity.Vault()
			if in.Name != "" {
				name = v.SealText(in.Name, sealPurpose("name", id))
			}
			if in.Phone != "" {
				phone, phoneMasked = v.SealText(in.Phone, sealPurpose("phone", id)), maskPhone(in.Phone)
			}
			if in.Email != "" {
				email = v.SealText(in.Email, sealPurpose("email", id))
			}
		}
		if _, err := tx.Exec(`INSERT INTO appeals (id, appeal_no, channel, type, category, urgency, region_code, location, lat, lng,
			description, state, anonymous, contact, publish, requester_id, entered_by, name_sealed, phone_sealed, phone_masked,
			email_sealed, related_case_no, impl_code, external_client, department_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $26)`,
			id, no, in.Channel, in.Type, in.Category, in.Urgency, in.RegionCode, in.Location, in.Lat, in.Lng,
			in.Description, StateAccepted, in.Anonymous, in.Contact, in.Publish, requester, entered, name, phone, phoneMasked,
			email, in.RelatedCaseNo, in.ImplCode, in.ExternalClient, c.DepartmentID, tx.Now); err != nil {
			return err
		}
		if len(in.Attachments) > 0 {
			if err := claim(tx, u, id, in.Attachments); err != nil {
				return err
			}
		}
		if err := s.startDispatch(tx, &Appeal{ID: id, No: no, Type: in.Type, Urgency: in.Urgency, RegionCode: in.RegionCode, State: StateAccepted}); err != nil {
			return err
		}
		actor := ""
		if u != nil {
			actor = u.ID
		}
		if err := addEvent(tx, id, actor, actorRole, "submit", "", StateAccepted, ""); err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]any{"appeal_no": no, "channel": in.Channel, "type": in.Type, "category": in.Category,
			"anonymous": in.Anonymous, "external_client": in.ExternalClient})
		return audit.Append(tx, &audit.Record{Actor: cmpActor(actor), Role: actorRole, Action: "appeal.submit", ObjectType: "appeal", ObjectID: id}, b)
	})
	if err != nil {
		return nil, apperr.Internalf("appeal: submit", err)
	}
	var a *Appeal
	err = s.DB.View(ctx, func(tx *db.Tx) error {
		a, err = getTx(tx, id)
		if err == nil {
			err = details(tx, a)
		}
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("appeal: submit", err)
	}
	s.reveal(a)
	return a, nil
}

func cmpActor(id string) string {
	if id == "" {
		return "-"
	}
	return id
}

// checkWho checks the channel against who submits.
func checkWho(u *identity.User, in *SubmitInput) error {
	if !slices.Contains(Channels, in.Channel) {
		return apperr.E(apperr.Invalid, "appeal.channel_invalid")
	}
	switch {
	case u != nil && u.Kind == identity.KindStaff:
		if !u.Has(identity.RoleClerk) {
			return apperr.E(apperr.Forbidden, "error.forbidden")
		}
		if !operatorChannel(in.Channel) {
			return apperr.E(apperr.Invalid, "appeal.channel_operator")
		}
		if in.RegionCode != "" && !u.ScopeOf(identity.RoleClerk).CoversRegion(in.RegionCode) {
			return apperr.E(apperr.Forbidden, "error.forbidden")
		}
		if !in.Anonymous && in.Name == "" {
			return apperr.E(apperr.Invalid, "appeal.name_required")
		}
	case u != nil:
		if in.Channel != ChannelWeb && in.Channel != ChannelMobile {
			return apperr.E(apperr.Invalid, "appeal.channel_requester")
		}
		in.Name, in.Email = "", ""
		in.ExternalClient = ""
	case in.Channel == ChannelOpen311:
		if in.ExternalClient == "" {
			return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
		}
	case in.Channel == ChannelWeb || in.Channel == ChannelMobile:
		if !in.Anonymous {
			return apperr.E(apperr.Unauthenticated, "appeal.login_required")
		}
		if len(in.Attachments) > 0 {
			return apperr.E(apperr.Unauthenticated, "appeal.login_required")
		}
	default:
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if in.Channel != ChannelOpen311 {
		in.ExternalClient = ""
	}
	return nil
}

// checkInput checks what the order says.
func checkInput(in *SubmitInput) error {
	switch {
	case !slices.Contains(Types, in.Type):
		return apperr.E(apperr.Invalid, "appeal.type_invalid", "type", in.Type)
	case in.Category == "":
		return apperr.E(apperr.Invalid, "appeal.category_required")
	case in.Urgency != UrgencyNormal && in.Urgency != UrgencyUrgent:
		return apperr.E(apperr.Invalid, "appeal.urgency_invalid")
	case in.Anonymous && !anonymousAllowed(in.Type):
		return apperr.E(apperr.Invalid, "appeal.anonymous_refused", "type", "appeal.type."+in.Type)
	case in.RegionCode == "":
		return apperr.E(apperr.Invalid, "appeal.region_required")
	case in.Description == "":
		return apperr.E(apperr.Invalid, "appeal.description_required")
	case utf8.RuneCountInString(in.Description) > MaxDescription:
		return apperr.E(apperr.Invalid, "appeal.description_too_long", "max", MaxDescription)
	case utf8.RuneCountInString(in.Location) > MaxLocation:
		return apperr.E(apperr.Invalid, "appeal.location_too_long", "max", MaxLocation)
	case (in.Lat == nil) != (in.Lng == nil):
		return apperr.E(apperr.Invalid, "appeal.coordinates_invalid")
	case in.Lat != nil && (math.IsNaN(*in.Lat) || *in.Lat < -90 || *in.Lat > 90 || math.IsNaN(*in.Lng) || *in.Lng < -180 || *in.Lng > 180):
		return apperr.E(apperr.Invalid, "appeal.coordinates_invalid")
	case utf8.RuneCountInString(in.Name) > MaxName:
		return apperr.E(apperr.Invalid, "appeal.name_too_long", "max", MaxName)
	case in.Phone != "" && !phoneForm.MatchString(in.Phone):
		return apperr.E(apperr.Invalid, "appeal.phone_invalid")
	case in.RelatedCaseNo != "" && !caseNoForm.MatchString(in.RelatedCaseNo):
		return apperr.E(apperr.Invalid, "appeal.case_unknown")
	case len(in.ImplCode) > 64:
		return apperr.E(apperr.Invalid, "appeal.item_unknown", "code", "")
	case len(in.Attachments) > MaxAttachments:
		return apperr.E(apperr.Invalid, "appeal.attachments_many", "max", MaxAttachments)
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
			return apperr.E(apperr.Invalid, "appeal.email_invalid")
		}
	}
	if in.Anonymous {
		in.Name, in.Phone, in.Email, in.Contact = "", "", "", false
	}
	return nil
}

// claim makes the submitter's unattached uploads the order's attachments.
func claim(tx *db.Tx, u *identity.User, id string, refs []string) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "appeal.login_required")
	}
	for _, ref := range refs {
		res, err := tx.Exec(`UPDATE case_materials SET appeal_id = $1, material_key = 'appeal'
			WHERE id = $2 AND owner_id = $3 AND case_id IS NULL AND mandate_id IS NULL AND appeal_id IS NULL`, id, ref, u.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.E(apperr.Invalid, "appeal.attachment_unknown", "id", ref)
		}
	}
	return nil
}

// nextNo takes the next number of the day: SQ, the day (China), one of
// eight shards chosen at random and the shard's serial — SQ2026120730012.
// Concurrent submissions queue only when they draw the same shard.
func nextNo(tx *db.Tx) (string, error) {
	day := tx.Now.In(calendar.China).Format("20060102")
	b, err := rand.Int(rand.Reader, big.NewInt(8))
	if err != nil {
		return "", err
	}
	shard := int(b.Int64())
	var n int
	if err := tx.QueryRow(`INSERT INTO appeal_serials (day, shard, last) VALUES ($1, $2, 1)
		ON CONFLICT (day, shard) DO UPDATE SET last = appeal_serials.last + 1 RETURNING last`, day, shard).Scan(&n); err != nil {
		return "", err
	}
	if n > 99999 {
		return "", apperr.E(apperr.Unavailable, "appeal.serial_exhausted")
	}
	return fmt.Sprintf("SQ%s%d%05d", day, shard, n), nil
}

// addEvent appends a change to an order's history.
func addEvent(tx *db.Tx, id, actor, role, action, from, to, reason string) error {
	var actorArg any
	if actor != "" {
		actorArg = actor
	}
	_, err := tx.Exec(`INSERT INTO appeal_events (appeal_id, seq, actor_id, role, action, from_state, to_state, reason, created_at)
		SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM appeal_events WHERE appeal_id = $1`,
		id, actorArg, role, action, from, to, reason, tx.Now)
	return err
}
