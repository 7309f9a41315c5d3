package rating

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Service records ratings and runs the 差评 work orders.
type Service struct {
	DB        *db.DB
	Calendars *calendar.Set
}

// Input is a rating as a form or the API gives it.
type Input struct {
	Kind       string   `json:"kind"` // first (default), follow_up
	Level      Level    `json:"level"`
	Indicators []string `json:"indicators"`
	Comment    string   `json:"comment"`
	Channel    string   `json:"channel"`
}

// Rating is one recorded rating. The rater is never in figures; RaterID is
// kept for the rules and the 回访 and not serialised.
type Rating struct {
	ID           string    `json:"id"`
	SubjectKind  string    `json:"subject_kind"`
	SubjectID    string    `json:"subject_id"`
	SubjectNo    string    `json:"subject_no"`
	Kind         string    `json:"kind"`
	RaterID      string    `json:"-"`
	Level        Level     `json:"level"`
	Direction    string    `json:"direction"`
	IndicatorSet string    `json:"indicator_set"`
	Indicators   []string  `json:"indicators"`
	Comment      string    `json:"comment"`
	Channel      string    `json:"channel"`
	Defaulted    bool      `json:"defaulted"`
	Flagged      bool      `json:"flagged,omitempty"`
	ItemCode     string    `json:"item_code"`
	ItemName     string    `json:"item_name"`
	DepartmentID string    `json:"department_id"`
	Region       string    `json:"region"`
	StaffIDs     []string  `json:"staff_ids,omitempty"`
	OrderID      string    `json:"order_id,omitempty"` // the 差评工单 a bad rating opened
	CreatedAt    time.Time `json:"created_at"`
	// Parts: a 一件事's rating (Rate of a bundle) is recorded as one rating
	// of each concluded sub-case — each department's own, with its work
	// order when bad; this rating names the bundle (no id of its own).
	Parts []Rating `json:"bundle_parts,omitempty"`
}

// subject is what a case rating needs to know of its case.
type subject struct {
	ID, No, ApplicantID, ApplicantKind, AgentID, ItemCode, ItemName, Dept, Region, State string
	ParentID, Bundle                                                                     string // a 一件事's parent: Bundle set, no ParentID
	Concluded                                                                            *time.Time
}

// bundle reports whether the case is a 一件事's parent.
func (s *subject) bundle() bool { return s.Bundle != "" && s.ParentID == "" }

func loadCase(tx *db.Tx, ref string) (*subject, error) {
	col := "case_no"
	if len(ref) == 36 && strings.Count(ref, "-") == 4 {
		col = "id"
	}
	var s subject
	var no, agent, parent sql.NullString
	var concluded sql.NullTime
	err := tx.QueryRow(`SELECT id, case_no, applicant_id, applicant_kind, agent_id, impl_code, item_name, department_id, region_code, state, concluded_at,
		parent_id, bundle_code FROM cases WHERE `+col+` = $1 AND submitted_at IS NOT NULL`, ref).
		Scan(&s.ID, &no, &s.ApplicantID, &s.ApplicantKind, &agent, &s.ItemCode, &s.ItemName, &s.Dept, &s.Region, &s.State, &concluded,
			&parent, &s.Bundle)
	if err != nil {
		return nil, db.NotFound(err, "case.not_found", "ref", ref)
	}
	s.No, s.AgentID, s.ParentID = no.String, agent.String, parent.String
	if concluded.Valid {
		t := concluded.Time.UTC()
		s.Concluded = &t
	}
	return &s, nil
}

// applicantOf: the same rule as who reads a case as its applicant — the
// applicant's own account, the legal representative or 经办人 of the
// enterprise for the item, and the agent who filed it.
func (s *subject) applicantOf(u *identity.User) bool {
	return u != nil && (s.ApplicantID == u.ID ||
		s.ApplicantKind == string(identity.KindOrganisation) && u.ActsFor(s.ApplicantID, s.ItemCode) ||
		s.AgentID != "" && s.AgentID == u.ID)
}

// RuleFor is the rule of the most specific region enclosing region, or
// DefaultRule.
func RuleFor(tx *db.Tx, region string) (Rule, error) {
	rows, err := tx.Query(`SELECT region_code, window_days, default_level, verify_days, rectify_days FROM rating_rules`)
	if err != nil {
		return Rule{}, err
	}
	defer rows.Close()
	best := DefaultRule
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.Region, &r.WindowDays, &r.DefaultLevel, &r.VerifyDays, &r.RectifyDays); err != nil {
			return Rule{}, err
		}
		if codes.DivisionCovers(r.Region, region) && len(r.Region) >= len(best.Region) {
			best = r
		}
	}
	return best, rows.Err()
}

// SetRule stores a region's rule (an installation administrator's data).
func SetRule(tx *db.Tx, r Rule) error {
	if r.WindowDays < 1 || r.WindowDays > 90 || r.VerifyDays < 1 || r.VerifyDays > 30 || r.RectifyDays < 1 || r.RectifyDays > 90 ||
		r.DefaultLevel != 0 && !r.DefaultLevel.Valid() {
		return apperr.E(apperr.Invalid, "rating.rule_invalid")
	}
	_, err := tx.Exec(`INSERT INTO rating_rules (region_code, window_days, default_level, verify_days, rectify_days) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (region_code) DO UPDATE SET window_days = $2, default_level = $3, verify_days = $4, rectify_days = $5`,
		r.Region, r.WindowDays, int(r.DefaultLevel), r.VerifyDays, r.RectifyDays)
	return err
}

// Rate records u's rating of a case (its id or number): the first (一事一评)
// or the one 追评. Refusals write nothing.
func (s *Service) Rate(ctx context.Context, u *identity.User, ref string, in Input) (*Rating, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	var out *Rating
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		c, err := loadCase(tx, ref)
		if err != nil {
			return err
		}
		if u.Kind == identity.KindStaff {
			return apperr.E(apperr.Forbidden, "rating.staff")
		}
		if !c.applicantOf(u) {
			return apperr.E(apperr.NotFound, "case.not_found", "ref", ref) // as the case page: not theirs, not there
		}
		out, err = s.rateCase(tx, c, u.ID, in)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("rating: rate", err)
	}
	return out, nil
}

// RateProven records a rating for the applicant of a case whose number,
// applicant name and 查询码 the caller has checked (cases.Progress): the
// kiosk and QR page, where the person proves the case rather than logs in.
func (s *Service) RateProven(ctx context.Context, caseNo string, in Input) (*Rating, error) {
	var out *Rating
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		c, err := loadCase(tx, caseNo)
		if err != nil {
			return err
		}
		out, err = s.rateCase(tx, c, c.ApplicantID, in)
		return err
	})
	if err != nil {
		return nil, apperr.Internalf("rating: rate", err)
	}
	return out, nil
}

// rateCase rates a case, or a 一件事 as a whole: a sub-case (the number
// on its own notice) stands for its bundle, and the bundle's rating is
// recorded for each of its concluded sub-cases (rateBundle).
func (s *Service) rateCase(tx *db.Tx, c *subject, rater string, in Input) (*Rating, error) {
	if c.ParentID != "" {
		p, err := loadCase(tx, c.ParentID)
		if err != nil {
			return nil, err
		}
		c = p
	}
	if c.bundle() {
		return s.rateBundle(tx, c, rater, in)
	}
	return s.rate(tx, c, rater, in)
}

// rateBundle rates a 一件事 once (一事一评 of the one service the applicant
// asked for): the bundle's conclusion opens the window and the rules apply
// to the bundle as to a case; the rating is recorded as one rating of each
// concluded sub-case, so that each department's figures (评价率 of its
// concluded cases, 满意度) count it and a bad rating opens a work order in
// each department, which may appeal (误评) a rating that is not about its
// part.
func (s *Service) rateBundle(tx *db.Tx, b *subject, rater string, in Input) (*Rating, error) {
	if in.Kind == "" {
		in.Kind = KindFirst
	}
	in.Comment = strings.TrimSpace(in.Comment)
	rule, err := RuleFor(tx, b.Region)
	if err != nil {
		return nil, err
	}
	parts, err := tx.Strings(`SELECT id FROM cases WHERE parent_id = $1 AND concluded_at IS NOT NULL AND state <> 'withdrawn' ORDER BY case_no, id`, b.ID)
	if err != nil {
		return nil, err
	}
	a := Attempt{Applicant: true, Withdrawn: b.State == "withdrawn" || len(parts) == 0 && b.Concluded != nil, Concluded: b.Concluded, Kind: in.Kind,
		Level: in.Level, Indicators: in.Indicators, Comment: in.Comment, Channel: in.Channel, Now: tx.Now, Rule: rule}
	if err := priorRatings(tx, b.ID, rater, &a); err != nil {
		return nil, err
	}
	if e := Check(a); e != nil {
		return nil, e
	}
	out := &Rating{SubjectKind: SubjectCase, SubjectID: b.ID, SubjectNo: b.No, Kind: in.Kind, Level: in.Level, Direction: Direction,
		IndicatorSet: Indicators.Version, Indicators: uniq(in.Indicators), Comment: in.Comment, Channel: in.Channel, ItemCode: b.ItemCode,
		ItemName: b.ItemName, DepartmentID: b.Dept, Region: b.Region, CreatedAt: tx.Now}
	for _, id := range parts {
		c, err := loadCase(tx, id)
		if err != nil {
			return nil, err
		}
		r, err := s.record(tx, c, rater, in, rule)
		if err != nil {
			return nil, err
		}
		out.Flagged = out.Flagged || r.Flagged
		out.Parts = append(out.Parts, *r)
	}
	return out, nil
}

// priorRatings fills an attempt with the rater's earlier ratings of a case
// or, for a bundle, of its sub-cases.
func priorRatings(tx *db.Tx, caseID, rater string, a *Attempt) error {
	rows, err := tx.Query(`SELECT kind, created_at FROM ratings WHERE subject_kind = 'case' AND rater_id = $2
		AND subject_id IN (SELECT id FROM cases WHERE id = $1 OR parent_id = $1)`, caseID, rater)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var at time.Time
		if err := rows.Scan(&k, &at); err != nil {
			return err
		}
		if k == KindFirst {
			if a.First == nil || at.Before(*a.First) {
				a.First = &at
			}
		} else {
			a.FollowedUp = true
		}
	}
	return rows.Err()
}

func (s *Service) rate(tx *db.Tx, c *subject, rater string, in Input) (*Rating, error) {
	if in.Kind == "" {
		in.Kind = KindFirst
	}
	in.Comment = strings.TrimSpace(in.Comment)
	rule, err := RuleFor(tx, c.Region)
	if err != nil {
		return nil, err
	}
	a := Attempt{Applicant: true, Withdrawn: c.State == "withdrawn", Concluded: c.Concluded, Kind: in.Kind, Level: in.Level, Indicators: in.Indicators,
		Comment: in.Comment, Channel: in.Channel, Now: tx.Now, Rule: rule}
	rows, err := tx.Query(`SELECT kind, created_at FROM ratings WHERE subject_kind = 'case' AND subject_id = $1 AND rater_id = $2`, c.ID, rater)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k string
		var at time.Time
		if err := rows.Scan(&k, &at); err != nil {
			rows.Close()
			return nil, err
		}
		if k == KindFirst {
			a.First = &at
		} else {
			a.FollowedUp = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if e := Check(a); e != nil {
		return nil, e
	}
	return s.record(tx, c, rater, in, rule)
}

// record writes a checked rating of case c (in.Kind set, the comment
// trimmed), flags a burst, audits it and opens the work order of a bad one.
func (s *Service) record(tx *db.Tx, c *subject, rater string, in Input, rule Rule) (*Rating, error) {
	staff, err := tx.Strings(`SELECT DISTINCT e.actor_id FROM case_events e JOIN users u ON u.id = e.actor_id
		WHERE e.case_id = $1 AND u.kind = 'staff' ORDER BY e.actor_id`, c.ID)
	if err != nil {
		return nil, err
	}
	r := &Rating{ID: db.NewID(), SubjectKind: SubjectCase, SubjectID: c.ID, SubjectNo: c.No, Kind: in.Kind, RaterID: rater,
		Level: in.Level, Direction: Direction, IndicatorSet: Indicators.Version, Indicators: uniq(in.Indicators), Comment: in.Comment,
		Channel: in.Channel, ItemCode: c.ItemCode, ItemName: c.ItemName, DepartmentID: c.Dept, Region: c.Region, StaffIDs: staff,
		CreatedAt: tx.Now}
	if err := insert(tx, r, c.Concluded); err != nil {
		if db.IsUniqueViolation(err) { // a concurrent rating won
			return nil, apperr.E(apperr.Conflict, "rating.already_rated")
		}
		return nil, err
	}
	if err := flagBurst(tx, r); err != nil {
		return nil, err
	}
	payload, _ := json.Marshal(map[string]any{"level": r.Level, "kind": r.Kind, "channel": r.Channel, "indicators": r.Indicators})
	if err := audit.Append(tx, &audit.Record{Actor: rater, Role: "applicant", Action: "rating.create", ObjectType: "case", ObjectID: c.ID}, payload); err != nil {
		return nil, err
	}
	if r.Level.Bad() {
		if r.OrderID, err = s.openOrder(tx, r, rule); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// nullable is s, or NULL when empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func uniq(xs []string) []string {
	out := []string{}
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" && !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func textHash(comment string) string {
	n := Normalise(comment)
	if utf8.RuneCountInString(n) < MinBurstRunes {
		return ""
	}
	h := sha256.Sum256([]byte(n))
	return hex.EncodeToString(h[:])
}

func insert(tx *db.Tx, r *Rating, concluded *time.Time) error {
	_, err := tx.Exec(`INSERT INTO ratings (id, subject_kind, subject_id, subject_no, kind, rater_id, level, direction, indicator_set,
		indicators, comment, text_hash, channel, defaulted, item_code, item_name, department_id, region_code, staff_ids, concluded_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		r.ID, r.SubjectKind, r.SubjectID, r.SubjectNo, r.Kind, nullable(r.RaterID), int(r.Level), r.Direction, r.IndicatorSet,
		strings.Join(r.Indicators, "|"), r.Comment, textHash(r.Comment), r.Channel, r.Defaulted, r.ItemCode, r.ItemName,
		r.DepartmentID, r.Region, strings.Join(r.StaffIDs, "|"), concluded, r.CreatedAt)
	return err
}

// flagBurst marks the ratings carrying r's text when BurstRaters raters or
// more wrote it within BurstWindow (刷评: for supervisors to look at).
func flagBurst(tx *db.Tx, r *Rating) error {
	h := textHash(r.Comment)
	if h == "" {
		return nil
	}
	since := tx.Now.Add(-BurstWindow)
	var n int
	if err := tx.QueryRow(`SELECT COUNT(DISTINCT rater_id) FROM ratings WHERE text_hash = $1 AND created_at >= $2`, h, since).Scan(&n); err != nil {
		return err
	}
	if n < BurstRaters {
		return nil
	}
	r.Flagged = true
	_, err := tx.Exec(`UPDATE ratings SET flagged = TRUE WHERE text_hash = $1 AND created_at >= $2 AND NOT flagged`, h, since)
	return err
}

// OfCase lists the ratings of a case the reader may see: its applicant
// sees theirs (of a 一件事, those of its sub-cases, one per department);
// staff in the case's scope see all of the case's own (without raters).
func (s *Service) OfCase(ctx context.Context, u *identity.User, caseID string) ([]Rating, error) {
	out := []Rating{}
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		q := selectRating + ` WHERE r.subject_kind = 'case' AND r.subject_id = $1`
		args := []any{caseID}
		if u.Kind != identity.KindStaff {
			q = selectRating + ` WHERE r.subject_kind = 'case' AND r.subject_id IN (SELECT id FROM cases WHERE id = $1 OR parent_id = $1) AND r.rater_id = $2`
			args = append(args, u.ID)
		}
		rows, err := tx.Query(q+` ORDER BY r.created_at, r.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRating(rows)
			if err != nil {
				return err
			}
			out = append(out, *r)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("rating: of case", err)
}

const selectRating = `SELECT r.id, r.subject_kind, r.subject_id, r.subject_no, r.kind, COALESCE(r.rater_id, ''), r.level, r.direction, r.indicator_set,
	r.indicators, r.comment, r.channel, r.defaulted, r.flagged, r.item_code, r.item_name, r.department_id, r.region_code, r.staff_ids,
	r.created_at, COALESCE(o.id, '') FROM ratings r LEFT JOIN rating_orders o ON o.rating_id = r.id`

type scanner interface{ Scan(...any) error }

func scanRating(sc scanner) (*Rating, error) {
	var r Rating
	var ind, staff string
	var level int
	if err := sc.Scan(&r.ID, &r.SubjectKind, &r.SubjectID, &r.SubjectNo, &r.Kind, &r.RaterID, &level, &r.Direction, &r.IndicatorSet,
		&ind, &r.Comment, &r.Channel, &r.Defaulted, &r.Flagged, &r.ItemCode, &r.ItemName, &r.DepartmentID, &r.Region, &staff,
		&r.CreatedAt, &r.OrderID); err != nil {
		return nil, err
	}
	r.Level, r.CreatedAt = Level(level), r.CreatedAt.UTC()
	r.Indicators, r.StaffIDs = split(ind), split(staff)
	return &r, nil
}

func split(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "|")
}

// Expire makes the default ratings of a region's rule for cases whose
// window passed without one (run by the scanner's lease, or a small leased
// job): marked `defaulted`, never counted as real, no work order. It
// returns how many it made.
func (s *Service) Expire(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.DB.Update(ctx, func(tx *db.Tx) error {
		n = 0
		rules, err := allRules(tx)
		if err != nil {
			return err
		}
		for _, rule := range rules {
			if rule.DefaultLevel == 0 {
				continue
			}
			before := tx.Now.Add(-time.Duration(rule.WindowDays) * 24 * time.Hour)
			// A 一件事 is rated through its sub-cases (rateBundle): they take
			// the default once the bundle's window has passed; the bundle's
			// parent takes none.
			ids, err := tx.Strings(`SELECT c.id FROM cases c LEFT JOIN cases p ON p.id = c.parent_id
				WHERE c.concluded_at IS NOT NULL AND c.region_code LIKE $2 AND c.state <> 'withdrawn'
				AND (c.parent_id IS NULL AND c.bundle_code = '' AND c.concluded_at < $1
					OR c.parent_id IS NOT NULL AND p.concluded_at IS NOT NULL AND p.concluded_at < $1)
				AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.subject_kind = 'case' AND r.subject_id = c.id AND r.kind = 'first')
				ORDER BY c.concluded_at LIMIT `+itoa(limit), before, codes.DivisionPrefix(rule.Region)+"%")
			if err != nil {
				return err
			}
			for _, id := range ids {
				c, err := loadCase(tx, id)
				if err != nil {
					return err
				}
				if r2, err := RuleFor(tx, c.Region); err != nil || r2.Region != rule.Region {
					if err != nil {
						return err
					}
					continue // a more specific region's rule governs it
				}
				r := &Rating{ID: db.NewID(), SubjectKind: SubjectCase, SubjectID: c.ID, SubjectNo: c.No, Kind: KindFirst, RaterID: c.ApplicantID,
					Level: rule.DefaultLevel, Direction: Direction, IndicatorSet: Indicators.Version, Indicators: []string{}, Channel: "pc",
					Defaulted: true, ItemCode: c.ItemCode, ItemName: c.ItemName, DepartmentID: c.Dept, Region: c.Region, StaffIDs: []string{}, CreatedAt: tx.Now}
				if err := insert(tx, r, c.Concluded); err != nil {
					return err
				}
				if err := audit.Append(tx, &audit.Record{Actor: "-", Role: "system", Action: "rating.default", ObjectType: "case", ObjectID: c.ID}, nil); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, apperr.Internalf("rating: expire", err)
}

func allRules(tx *db.Tx) ([]Rule, error) {
	rows, err := tx.Query(`SELECT region_code, window_days, default_level, verify_days, rectify_days FROM rating_rules ORDER BY region_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.Region, &r.WindowDays, &r.DefaultLevel, &r.VerifyDays, &r.RectifyDays); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func itoa(n int) string {
	if n <= 0 || n > 1000 {
		n = 1000
	}
	return strconv.Itoa(n)
}

// ExpireLease is the lease of the default-rating job: one replica at a time.
const ExpireLease = "rating-expire"

// ExpireIfHeld makes the default ratings (Expire) when holder holds the
// lease, and says whether it ran.
func (s *Service) ExpireIfHeld(ctx context.Context, holder string, ttl time.Duration) (int, bool, error) {
	held, err := s.DB.Lease(ctx, ExpireLease, holder, ttl)
	if err != nil || !held {
		return 0, false, err
	}
	n, err := s.Expire(ctx, 1000)
	if err != nil {
		return n, true, err
	}
	return n, true, s.DB.LeaseRan(ctx, ExpireLease, holder)
}

// CaseNo is the number of a case by its id ("" when it has none): the
// licence's rating link names its granting case.
func (s *Service) CaseNo(ctx context.Context, caseID string) (string, error) {
	var no sql.NullString
	err := s.DB.View(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(`SELECT case_no FROM cases WHERE id = $1`, caseID).Scan(&no)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return no.String, apperr.Internalf("rating: case number", err)
}
