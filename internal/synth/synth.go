// Package synth fills a database with realistic synthetic cases over the
// published catalog and the working-day calendar (`tongban synth`), for
// demonstrations and benchmarks: a mix of channels and states, some
// corrected, some refused or withdrawn, some late, some paused, with their
// events, case numbers and daily figures consistent with what the case
// engine would have written. Rows are written directly, in large
// transactions: the engine's throughput is not what is being measured.
package synth

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/workflow"
)

// Options say what to make.
type Options struct {
	Cases      int       // how many
	Months     int       // over how many months before Now
	Now        time.Time // the end of the period
	Seed       uint64    // the same seed makes the same cases
	Applicants int       // synthetic applicant accounts (default 200)
	// OpenOnly makes every case open, filed in the last few working days
	// with its deadline ahead (a scale test of the supervision scanner).
	OpenOnly bool
	Progress func(done int) // called after each batch
}

// Report says what was made.
type Report struct {
	Cases   int            `json:"cases"`
	ByState map[string]int `json:"by_state"`
	Took    time.Duration  `json:"-"`
}

// Deps are the services synth reads the catalog, accounts and processes from.
type Deps struct {
	DB        *db.DB
	Catalog   *catalog.Catalog
	Identity  *identity.Service
	Calendars *calendar.Set
	Cases     *cases.Service
}

// item is a published item with what a case needs of it.
type item struct {
	it      *catalog.Item
	version int
	id      string
	dept    string
	proc    *workflow.Definition
	weight  int
}

const batch = 2000

// Run makes the cases.
func Run(ctx context.Context, d Deps, o Options) (*Report, error) {
	start := time.Now()
	if o.Cases <= 0 || o.Months <= 0 || o.Months > 36 {
		return nil, fmt.Errorf("synth: --cases must be positive and --months between 1 and 36")
	}
	if o.Applicants <= 0 {
		o.Applicants = 200
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	items, err := loadItems(ctx, d)
	if err != nil {
		return nil, err
	}
	apps, err := applicants(ctx, d, o.Applicants, r)
	if err != nil {
		return nil, err
	}
	g := &gen{d: d, o: o, r: r, items: items, apps: apps, serials: map[string]int{}, figures: map[stats.Key]*stats.Delta{},
		rep: &Report{ByState: map[string]int{}}}
	for _, it := range items {
		g.total += it.weight
	}
	if err := g.loadSerials(ctx); err != nil {
		return nil, err
	}
	for done := 0; done < o.Cases; done += batch {
		n := min(batch, o.Cases-done)
		var cs []*synthCase
		for range n {
			c, err := g.one()
			if err != nil {
				return nil, err
			}
			cs = append(cs, c)
		}
		if err := d.DB.Update(ctx, func(tx *db.Tx) error { return write(tx, cs) }); err != nil {
			return nil, fmt.Errorf("synth: write: %w", err)
		}
		if o.Progress != nil {
			o.Progress(done + n)
		}
	}
	if err := g.finish(ctx); err != nil {
		return nil, err
	}
	g.rep.Cases = o.Cases
	g.rep.Took = time.Since(start)
	return g.rep, nil
}

func loadItems(ctx context.Context, d Deps) ([]item, error) {
	var out []item
	err := d.DB.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT id, impl_code, department_id, published_version FROM items WHERE published_version > 0 ORDER BY impl_code`)
		if err != nil {
			return err
		}
		type row struct {
			id, code, dept string
			ver            int
		}
		var rs []row
		for rows.Next() {
			var x row
			if err := rows.Scan(&x.id, &x.code, &x.dept, &x.ver); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, x := range rs {
			it, err := d.Catalog.ItemAt(tx, x.code, x.ver)
			if err != nil {
				return err
			}
			proc, err := d.Cases.ProcessFor(it)
			if err != nil {
				return err
			}
			out = append(out, item{it: it, version: x.ver, id: x.id, dept: x.dept, proc: proc, weight: max(it.Frequency, 1)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("synth: catalog: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("synth: no published items: load a catalog first (the demo has one)")
	}
	return out, nil
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var given = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "文", "红梅", "春燕", "国平", "德明", "小龙"}

// applicants makes (or reuses) synthetic natural-person accounts. Their
// passwords are random and never shown: nobody signs in as them.
func applicants(ctx context.Context, d Deps, n int, r *rand.Rand) ([]*identity.Applicant, error) {
	var out []*identity.Applicant
	for i := 1; i <= n; i++ {
		name := string(surnames[r.IntN(len(surnames))]) + given[r.IntN(len(given))]
		// 5001021970…: born in 涪陵区 between 1950 and 2005.
		born := time.Date(1950+r.IntN(55), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		first := "500102" + born.Format("20060102") + fmt.Sprintf("%03d", i%1000)
		check, err := codes.CitizenIDCheck(first)
		if err != nil {
			return nil, err
		}
		id := first + string(check)
		// Drawn whether or not it is needed: the same seed makes the same people.
		password := "synth-" + strconv.FormatUint(r.Uint64(), 36) + strconv.FormatUint(r.Uint64(), 36)
		a, err := d.Identity.ApplicantByNumber(ctx, id)
		if err != nil && apperr.CodeOf(err) != apperr.NotFound {
			return nil, err
		}
		if err != nil {
			u, cerr := d.Identity.CreatePerson(ctx, identity.NewPerson{Account: identity.Account{
				Username: "synth-" + strings.ToLower(id), Password: password}, Name: name, IDNumber: id})
			if cerr != nil {
				return nil, fmt.Errorf("synth: applicant: %w", cerr)
			}
			if a, err = d.Identity.ApplicantOf(ctx, u); err != nil {
				return nil, err
			}
		}
		out = append(out, a)
	}
	return out, nil
}
