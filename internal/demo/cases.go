package demo

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// SeedCases files the demo's sample cases, once (when there are none): at
// least one in every state of both processes, some filed days ago so that
// deadlines are near or past, so that every screen has something to show.
// Each case goes through the case service exactly as a person would file
// and handle it.
// now is the clock the database keeps using afterwards.
func SeedCases(ctx context.Context, d *db.DB, ids *identity.Service, svc *cases.Service, now func() time.Time) error {
	var n int
	if err := d.View(ctx, func(tx *db.Tx) error { return tx.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n) }); err != nil || n > 0 {
		return err
	}
	s := &seeder{ctx: ctx, d: d, ids: ids, svc: svc, cat: catalog.New(d), users: map[string]*identity.User{}, real: now}
	defer d.SetClock(now)
	for _, a := range Accounts {
		u, err := ids.UserByUsername(ctx, a.Username)
		if err != nil {
			return err
		}
		s.users[a.Username] = u
	}
	return s.run()
}

type seeder struct {
	ctx   context.Context
	d     *db.DB
	ids   *identity.Service
	svc   *cases.Service
	cat   *catalog.Catalog
	users map[string]*identity.User
	real  func() time.Time
	err   error
}

const (
	soleTrader   = "个体工商户设立登记"
	foodLicence  = "食品经营许可（新办）"
	company      = "有限责任公司设立登记"
	officialSeal = "公章刻制备案"
)

func (s *seeder) run() error {
	// Each script: who files what, how many working days ago, and what
	// happens to it after.
	s.file("zhangsan", soleTrader, 0, false, false)                                          // draft
	s.file("zhangsan", foodLicence, 0, true, false)                                          // pre_review
	s.then(s.file("democorp", company, 1, true, false), step("clerk", "request_correction")) // correction
	s.then(s.file("zhangsan", soleTrader, 0, true, false), step("clerk", "accept"))          // handling (张三's case for the handler)
	s.then(s.file("zhangsan", soleTrader, 1, true, false), step("clerk", "accept"), step("handler", "pass"))
	s.then(s.file("zhangsan", soleTrader, 1, true, false), step("clerk", "accept"), step("handler", "pass"), step("reviewer", "pass"))
	s.then(s.file("zhangsan", soleTrader, 3, true, false), step("clerk", "accept"), step("handler", "pass"), step("reviewer", "pass"), step("approver", "grant"))
	s.then(s.file("zhangsan", soleTrader, 6, true, false), step("clerk", "accept"), step("handler", "pass"), step("reviewer", "pass"),
		step("approver", "grant"), as("clerk", cases.ActionRequest{Action: "deliver", Delivery: "post", TrackingNo: "EMS1088120045", Reason: "申请人来电要求改为邮寄送达"}))
	s.then(s.file("democorp", company, 2, true, false), as("clerk", cases.ActionRequest{Action: "refuse", Reason: "申请事项不属于本机关职权范围，请向住所地登记机关申请。"}))
	s.then(s.file("zhangsan", soleTrader, 2, true, false), step("zhangsan", "withdraw"))
	s.then(s.file("zhangsan", soleTrader, 4, true, false), as("clerk", cases.ActionRequest{Action: "accept", Owed: []string{"lease"}}),
		as("handler", cases.ActionRequest{Action: "terminate", Reason: "容缺材料逾期未补交，终止办理。"}))
	// 容缺: accepted today with the lease owed by tomorrow (张三 is reminded; late, the platform terminates it).
	s.then(s.file("zhangsan", soleTrader, 0, true, false), as("clerk", cases.ActionRequest{Action: "accept", Owed: []string{"lease"}}))
	// Overdue: accepted seven working days ago with a one-day promise (a red card to come).
	s.then(s.file("zhangsan", soleTrader, 7, true, false), step("clerk", "accept"))
	// A special procedure stops the clock of a food licence.
	s.then(s.file("democorp", foodLicence, 2, true, false), step("clerk", "accept"),
		as("handler", cases.ActionRequest{Action: "pause", Kind: "inspection", Days: "5", Reason: "对经营场所进行现场核查。"}))
	// 告知承诺: decided at acceptance, post-verification pending.
	s.then(s.file("zhangsan", foodLicence, 1, true, true), step("clerk", "accept"))
	// 即办件 at the window for the enterprise.
	s.window(officialSeal, "democorp")
	// 企业开办一件事: one application, a sub-case per department; the seal is made at once.
	// 张三 founds a company: its credit code and licence come from the registration.
	s.bundle("qykb", "zhangsan", 1)
	return s.err
}

// bundle files a 一件事 for user and has the clerk accept every sub-case.
func (s *seeder) bundle(code, user string, workdaysAgo int) {
	if s.err != nil {
		return
	}
	s.at(workdaysAgo)
	bv, err := s.cat.BundleByCode(s.ctx, code, false)
	if err != nil {
		s.err = err
		return
	}
	u := s.users[user]
	vals := catalog.Values{}
	answers := map[string]string{}
	for _, ver := range bv.Versions {
		vs, err := s.values(u, ver.Item)
		if err != nil {
			s.err = err
			return
		}
		for k, v := range vs {
			if !bv.Produces.Passes(k) { // a sibling's result fills it
				vals[k] = v
			}
		}
		if sit := ver.Item.Situations; sit != nil {
			for _, q := range sit.Questions {
				answers[q.Key] = q.Options[len(q.Options)-1].Value
			}
		}
	}
	var refs []cases.MaterialRef
	if bv.Produces != nil {
		vals["org_name"], vals["legal_rep"] = []string{"重庆市涪陵区" + u.DisplayName + "新创科技有限公司"}, []string{u.DisplayName}
	}
	for _, mm := range bv.Materials {
		if mm.Required && mm.Electronic && mm.PassedFrom == "" {
			up, err := s.svc.Upload(s.ctx, u, mm.Key+".pdf", bytes.NewReader(samplePDF(mm.Name)))
			if err != nil {
				s.err = err
				return
			}
			refs = append(refs, cases.MaterialRef{Key: mm.Key, ID: up.ID})
		}
	}
	parent, _, err := s.svc.Create(s.ctx, u, cases.NewCase{Bundle: code, Values: vals, Answers: answers, Materials: refs, Submit: true})
	if err != nil {
		s.err = fmt.Errorf("demo bundle %s: %w", code, err)
		return
	}
	for _, ch := range parent.Children {
		if bv.Awaits(ch.ItemCode) {
			continue // decided once the registration's result exists
		}
		s.then(&ch, step("clerk", "accept"))
	}
}

type scripted struct {
	cases.ActionRequest
	who string
}

func step(who, action string) scripted {
	req := cases.ActionRequest{Action: action}
	if action == "request_correction" {
		req.Corrections = []cases.Correction{{Material: "articles", Problem: "公司章程缺少全体股东签字"}, {Problem: "住所使用证明与申请表所填地址不一致"}}
	}
	return scripted{req, who}
}

// as names the actor of a request with inputs.
func as(who string, req cases.ActionRequest) scripted { return scripted{req, who} }

// at sets the clock to the given number of working days ago, 10:00.
func (s *seeder) at(workdaysAgo int) {
	now := s.real()
	cal := calendar.National()
	day := calendar.DateIn(now)
	for i := 0; i < workdaysAgo; {
		day = day.AddDays(-1)
		if ok, err := cal.For(Region).IsWorkday(day); err != nil || ok {
			i++
		}
	}
	t := day.Start(calendar.China).Add(10 * time.Hour)
	if workdaysAgo == 0 {
		t = now
	}
	s.d.SetClock(func() time.Time { return t })
}

// file makes a case of item for user, filed workdaysAgo.
func (s *seeder) file(user, item string, workdaysAgo int, submit, commitment bool) *cases.Case {
	if s.err != nil {
		return nil
	}
	s.at(workdaysAgo)
	ver, err := s.item(item)
	if err != nil {
		s.err = err
		return nil
	}
	u := s.users[user]
	answers := map[string]string{}
	if sit := ver.Item.Situations; sit != nil {
		for _, q := range sit.Questions {
			answers[q.Key] = q.Options[len(q.Options)-1].Value // the last option: "no", "rented"
		}
	}
	var refs []cases.MaterialRef
	for _, m := range ver.Item.Select(answers).Materials {
		if m.Of.Required && m.Of.Electronic && m.Definite {
			up, err := s.svc.Upload(s.ctx, u, m.Of.Key+".pdf", bytes.NewReader(samplePDF(m.Of.Name)))
			if err != nil {
				s.err = err
				return nil
			}
			refs = append(refs, cases.MaterialRef{Key: m.Of.Key, ID: up.ID})
		}
	}
	vals, err := s.values(u, ver.Item)
	if err != nil {
		s.err = err
		return nil
	}
	c, _, err := s.svc.Create(s.ctx, u, cases.NewCase{ItemCode: ver.ImplCode, Values: vals, Answers: answers,
		Materials: refs, Submit: submit, Commitment: commitment})
	if err != nil {
		s.err = fmt.Errorf("demo case %s for %s: %w", item, user, err)
	}
	return c
}

func (s *seeder) then(c *cases.Case, steps ...scripted) {
	for _, st := range steps {
		if s.err != nil || c == nil {
			return
		}
		var err error
		if c, err = s.svc.Act(s.ctx, s.users[st.who], c.Ref(), st.ActionRequest); err != nil {
			s.err = fmt.Errorf("demo case %s: %s by %s: %w", c.Ref(), st.Action, st.who, err)
		}
	}
}

// window files and accepts an instant item at the composite window.
func (s *seeder) window(item, applicant string) {
	if s.err != nil {
		return
	}
	s.at(0)
	ver, err := s.item(item)
	if err != nil {
		s.err = err
		return
	}
	app, err := s.ids.ApplicantOf(s.ctx, s.users[applicant])
	if err != nil {
		s.err = err
		return
	}
	vals, err := s.values(s.users[applicant], ver.Item)
	if err != nil {
		s.err = err
		return
	}
	if _, _, err := s.svc.Create(s.ctx, s.users["clerk"], cases.NewCase{ItemCode: ver.ImplCode, Values: vals, Applicant: app.Masked,
		Submit: true, Accept: true, Originals: []string{"business_licence", "id_card"}}); err != nil {
		s.err = fmt.Errorf("demo window case: %w", err)
	}
}

func (s *seeder) item(name string) (*catalog.Version, error) {
	res, err := s.cat.Search(s.ctx, catalog.Query{Q: name, PerPage: 5})
	if err != nil {
		return nil, err
	}
	for _, it := range res.Items {
		if it.Name == name {
			return s.cat.Published(s.ctx, it.ImplCode, 0)
		}
	}
	return nil, fmt.Errorf("demo: no item %s", name)
}

// values fills an item's form plausibly from its field types, starting from
// what the applicant's profile pre-fills.
func (s *seeder) values(u *identity.User, it *catalog.Item) (catalog.Values, error) {
	vals, err := s.svc.Prefill(s.ctx, u, it)
	if err != nil {
		return nil, err
	}
	corp, err := s.ids.ApplicantOf(s.ctx, s.users["democorp"])
	if err != nil {
		return nil, err
	}
	for _, f := range it.Form {
		if _, ok := vals[f.Key]; ok {
			continue
		}
		var v []string
		switch f.Type {
		case "idnumber":
			v = []string{"500102198506120011"} // 张三, the demo's natural person
		case "creditcode":
			v = []string{corp.Masked}
		case "phone":
			v = []string{"13800000000"}
		case "address":
			v = []string{"500102006001", "滨江路 1 号"}
		case "select", "multiselect":
			v = []string{f.Options[0].Value}
		case "number":
			n := 1.0
			if f.Min != nil && *f.Min > n {
				n = *f.Min
			}
			v = []string{strconv.FormatFloat(n, 'f', -1, 64)}
		case "date":
			v = []string{calendar.DateIn(s.d.Now()).String()}
		case "text":
			v = []string{sampleText[f.Key]}
			if v[0] == "" {
				v[0] = "示范"
			}
		default:
			continue
		}
		vals[f.Key] = v
	}
	return vals, nil
}

var sampleText = map[string]string{"business_name": "张三小吃店", "scope": "餐饮服务（小吃）", "legal_rep": "王五",
	"org_name": "重庆市涪陵区通办示范科技有限公司", "change_items": "经营场所"}

// samplePDF is a tiny valid PDF naming the material, standing in for a scan.
func samplePDF(name string) []byte {
	return []byte("%PDF-1.4\n% Tongban demo material: " + name + "\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}
