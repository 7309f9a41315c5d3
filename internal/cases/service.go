package cases

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/mandate"
	"github.com/tongban/tongban/internal/vault"
	"github.com/tongban/tongban/internal/workflow"
)

// Service is the case engine. Exported methods open the transaction and
// check who is asking; unexported helpers take the *db.Tx so they compose.
type Service struct {
	db        *db.DB
	catalog   *catalog.Catalog
	identity  *identity.Service
	calendars *calendar.Set
	flows     *workflow.Registry
	blobs     *blob.Sealed
	licensing Licensing // the licence library; nil: none
	Limits    Limits
	// Reads holds the records of staff reads until they are written, in
	// batches (issue 20: a read is not a write transaction); nil: each
	// read is written in a transaction of its own before it answers.
	Reads *audit.Buffer
}

// Limits bound uploads and the post-verification of 告知承诺.
type Limits struct {
	MaxUpload  int64          // bytes per file
	VerifyDays calendar.Limit // 事后核查 after a decision on a commitment
	// What one account may upload in a day (China time), in files and bytes
	// (issue 14: no account fills the disk). Clerks and agents, who file for
	// the people they serve, have the Staff quota.
	DailyFiles, StaffDailyFiles int
	DailyBytes, StaffDailyBytes int64
}

// DefaultLimits: 20 MiB per file (a scanned multi-page PDF), post-verification
// within 20 working days (the ordinary decision period of Art. 42); 200
// files and 500 MiB a day for an applicant (a dozen applications with every
// scan), ten times that for a window clerk or a village agent (a busy day's
// walk-ins). Operators change them with --upload-quota.
var DefaultLimits = Limits{MaxUpload: 20 << 20, VerifyDays: calendar.Days(20),
	DailyFiles: 200, DailyBytes: 500 << 20, StaffDailyFiles: 2000, StaffDailyBytes: 5000 << 20}

// ParseQuota reads the daily upload quotas of l from "FILES/MIB,FILES/MIB"
// (applicants, then clerks and agents; the second pair may be left out and
// then equals the first; 0 means no bound).
func (l *Limits) ParseQuota(s string) error {
	bad := apperr.E(apperr.Invalid, "case.upload_quota_config", "value", s)
	pairs := strings.Split(strings.TrimSpace(s), ",")
	if len(pairs) > 2 {
		return bad
	}
	var files [2]int
	var mib [2]int64
	for i := range 2 {
		p := pairs[min(i, len(pairs)-1)]
		f, m, ok := strings.Cut(strings.TrimSpace(p), "/")
		n, err1 := strconv.Atoi(f)
		b, err2 := strconv.ParseInt(m, 10, 64)
		if !ok || err1 != nil || err2 != nil || n < 0 || b < 0 || b > 1<<30 {
			return bad
		}
		files[i], mib[i] = n, b
	}
	l.DailyFiles, l.DailyBytes, l.StaffDailyFiles, l.StaffDailyBytes = files[0], mib[0]<<20, files[1], mib[1]<<20
	return nil
}

// New returns the case service.
func New(d *db.DB, cat *catalog.Catalog, ids *identity.Service, cals *calendar.Set, blobs blob.Store) (*Service, error) {
	var roles []string
	for _, r := range identity.Roles {
		roles = append(roles, string(r))
	}
	flows, err := workflow.Builtin(roles)
	if err != nil {
		return nil, err
	}
	// Materials are sealed at rest with keys derived from the data key
	// (blob.Sealed): whatever store the caller gives holds only ciphertext.
	sealed, ok := blobs.(*blob.Sealed)
	if !ok {
		v := ids.Vault()
		if sealed, err = blob.NewSealed(blobs, v.Derive("blob v1 seal"), v.Derive("blob v1 name")); err != nil {
			return nil, err
		}
	}
	// An account is not closed while one of its cases is open; closing ends
	// the mandates its holder gave (mandate.EndOnClose).
	ids.CloseChecks = append(ids.CloseChecks, OpenCasesBlockClosing, mandate.EndOnClose)
	return &Service{db: d, catalog: cat, identity: ids, calendars: cals, flows: flows, blobs: sealed, Limits: DefaultLimits}, nil
}

// Flows exposes the process registry (pages show step names from it).
func (s *Service) Flows() *workflow.Registry { return s.flows }

// Now is the service's current time.
func (s *Service) Now() time.Time { return s.db.Now() }

// staffRoles are the roles that act on cases in the back office.
var staffRoles = []identity.Role{identity.RoleClerk, identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover, identity.RoleSupervisor}

// coversRegion: a role held with a region that encloses region, whatever its
// department. 一窗受理: the composite window accepts items of every
// department of its hall's region; supervisors watch their whole region.
func coversRegion(u *identity.User, role identity.Role, region string) bool {
	for _, g := range u.Grants {
		if g.Role == role && g.RegionCode != "" && codes.DivisionCovers(g.RegionCode, region) {
			return true
		}
	}
	return false
}

// agentServes: a village or community agent (代办员) files, for the people
// they serve, items implemented in their area or by any level above it
// (全程代办: the district's items are filed from the village).
func agentServes(u *identity.User, itemRegion string) bool {
	for _, g := range u.Grants {
		if g.Role == identity.RoleAgent && g.RegionCode != "" &&
			(codes.DivisionCovers(itemRegion, g.RegionCode) || codes.DivisionCovers(g.RegionCode, itemRegion)) {
			return true
		}
	}
	return false
}

// rolesFor lists the workflow roles u holds for c: applicant or agent of
// their own case, clerk and supervisor by region, department staff by the
// department holding the case — staff only once the case is submitted.
func rolesFor(u *identity.User, c *Case) []string {
	var rs []string
	if u == nil {
		return nil
	}
	// An enterprise's legal representative and its 经办人 whose scope
	// covers the item are its applicants (User.Enterprises: current ones).
	if c.ApplicantID == u.ID || c.ApplicantKind == string(identity.KindOrganisation) && u.ActsFor(c.ApplicantID, c.ItemCode) {
		rs = append(rs, string(identity.RoleApplicant))
	}
	if c.AgentID != "" && c.AgentID == u.ID {
		rs = append(rs, string(identity.RoleAgent))
	}
	if c.SubmittedAt == nil {
		// A draft is the applicant's own (and the agent's who prepares it
		// with them) until it is submitted: no staff role reads, lists or
		// acts on it — its form holds the full ID number and phone (issue 14).
		return rs
	}
	for _, r := range staffRoles {
		var ok bool
		switch r {
		case identity.RoleClerk, identity.RoleSupervisor:
			ok = coversRegion(u, r, c.Region)
		default:
			ok = u.CanActIn(r, c.DepartmentID, c.Region)
		}
		if ok {
			rs = append(rs, string(r))
		}
	}
	return rs
}

// isStaff reports whether roles include a back-office role: such a reader's
// views of applicant data are recorded (R9.3).
func isStaff(roles []string) bool {
	return slices.ContainsFunc(roles, func(r string) bool { return identity.Role(r).Staff() })
}

// canRead: the applicant, their agent, staff in scope, and departments asked
// to countersign.
func canRead(u *identity.User, c *Case, roles []string, countersigner bool) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if len(roles) > 0 || countersigner {
		return nil
	}
	// Outside the reader's scope the case does not exist for them.
	return apperr.E(apperr.NotFound, "case.not_found", "ref", c.Ref())
}

func (s *Service) process(c *Case) (*workflow.Definition, error) {
	d, ok := s.flows.Get(c.Process)
	if !ok {
		return nil, apperr.Internalf("cases: process", apperr.E(apperr.Internal, "error.internal", "process", c.Process))
	}
	return d, nil
}

// record notes a staff read of a case's personal data (R9.3): an audit
// record — who, which case, why, when; no payload — buffered when the
// service has a buffer (written within its delay), else written at once.
func (s *Service) record(ctx context.Context, u *identity.User, c *Case, purpose string) error {
	r := &audit.Record{Actor: u.ID, Role: "staff", Action: "case.read." + purpose, ObjectType: "case", ObjectID: c.ID}
	if s.Reads != nil {
		return apperr.Internalf("cases: access log", s.Reads.Add(ctx, r))
	}
	return apperr.Internalf("cases: access log", s.db.Update(ctx, func(tx *db.Tx) error { return audit.Append(tx, r, nil) }))
}

// vault is the data key's vault, which seals form values at rest.
func (s *Service) vault() *vault.Vault { return s.identity.Vault() }
