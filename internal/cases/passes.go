package cases

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// 结果实时共享 (issue 17). A bundle that creates an enterprise (catalog.
// Produces: 企业开办一件事) does not ask for what it produces. At filing,
// each later sub-case records what it awaits from the producing sub-case —
// the new credit code for its credit-code fields, the licence for its
// materials that are that licence — and its check of those waits; the
// producing sub-case records which of its fields name the enterprise and its
// legal representative. When the producing sub-case is granted, the
// enterprise is registered (a new organisation, a new unified social credit
// code), its licence is issued to it, and both are passed on: the later
// sub-cases' fields are filled and their materials attached, each with an
// event saying where they came from. Until then a later sub-case cannot be
// granted. Refusing or terminating it stays possible (when the registration
// fails, so do they).

// Pass is what a sub-case takes from a sibling sub-case's result.
type Pass struct {
	Kind     string `json:"kind"` // field, material
	Key      string `json:"key"`
	Label    string `json:"label"`
	FromItem string `json:"from_item"`         // the producing sub-case's item
	FromNo   string `json:"from_no,omitempty"` // and its number
	Passed   bool   `json:"passed"`            // the result exists and has been passed on
}

// planPasses records, for a bundle that produces, what each sub-case takes
// from the producing one (children in the bundle's order).
func planPasses(tx *db.Tx, bv *catalog.BundleView, children []*Case) error {
	p := bv.Produces
	if p == nil {
		return nil
	}
	at := -1
	for i, ver := range bv.Versions {
		if ver.ImplCode == p.Item {
			at = i
		}
	}
	if at < 0 {
		return apperr.E(apperr.Invalid, "catalog.produces_item", "code", p.Item)
	}
	from := children[at].ID
	add := func(caseID, kind, key string) error {
		_, err := tx.Exec(`INSERT INTO case_passes (case_id, from_case_id, kind, entry_key) VALUES ($1, $2, $3, $4)`, caseID, from, kind, key)
		return err
	}
	if err := add(from, "name", p.NameField); err != nil {
		return err
	}
	if err := add(from, "rep", p.RepField); err != nil {
		return err
	}
	for i := at + 1; i < len(children); i++ {
		it := bv.Versions[i].Item
		for _, f := range it.Form {
			if p.Passes(f.Key) {
				if err := add(children[i].ID, "field", f.Key); err != nil {
					return err
				}
			}
		}
		for _, m := range it.Materials {
			if p.PassesMaterial(m.Key) {
				if err := add(children[i].ID, "material", m.Key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// awaited is what a sub-case still awaits from a sibling: field and
// material keys, and the sibling's id.
type awaited struct {
	fields, materials map[string]bool
	from              string
}

func awaiting(tx *db.Tx, c *Case) (*awaited, error) {
	a := &awaited{fields: map[string]bool{}, materials: map[string]bool{}}
	if c.ParentID == "" {
		return a, nil
	}
	rows, err := tx.Query(`SELECT kind, entry_key, from_case_id FROM case_passes
		WHERE case_id = $1 AND from_case_id <> $1 AND passed_at IS NULL`, c.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, key string
		if err := rows.Scan(&kind, &key, &a.from); err != nil {
			return nil, err
		}
		if kind == "field" {
			a.fields[key] = true
		} else {
			a.materials[key] = true
		}
	}
	return a, rows.Err()
}

func (a *awaited) none() bool { return len(a.fields)+len(a.materials) == 0 }

// resultAwaited refuses to grant a sub-case whose sibling's result it
// still awaits.
func resultAwaited(tx *db.Tx, c *Case) error {
	a, err := awaiting(tx, c)
	if err != nil || a.none() {
		return err
	}
	var item string
	if err := tx.QueryRow(`SELECT item_name FROM cases WHERE id = $1`, a.from).Scan(&item); err != nil {
		return err
	}
	return apperr.E(apperr.Conflict, "case.result_awaited", "item", item)
}

// casePasses lists what a sub-case takes from a sibling, for its page.
func casePasses(tx *db.Tx, c *Case, it *catalog.Item) ([]Pass, error) {
	if c.ParentID == "" {
		return nil, nil
	}
	rows, err := tx.Query(`SELECT p.kind, p.entry_key, f.item_name, COALESCE(f.case_no, ''), p.passed_at IS NOT NULL
		FROM case_passes p JOIN cases f ON f.id = p.from_case_id
		WHERE p.case_id = $1 AND p.from_case_id <> $1 ORDER BY p.kind, p.entry_key`, c.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Pass
	for rows.Next() {
		var p Pass
		if err := rows.Scan(&p.Kind, &p.Key, &p.FromItem, &p.FromNo, &p.Passed); err != nil {
			return nil, err
		}
		p.Label = p.Key
		if p.Kind == "material" {
			if m, ok := it.Material(p.Key); ok {
				p.Label = m.Name
			}
		} else {
			for _, f := range it.Form {
				if f.Key == p.Key {
					p.Label = f.Label
				}
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// founding is what a producing sub-case registers: the fields naming the
// enterprise and its legal representative; ok false when c produces nothing.
func founding(tx *db.Tx, c *Case) (nameKey, repKey string, ok bool, err error) {
	if c.ParentID == "" {
		return "", "", false, nil
	}
	rows, err := tx.Query(`SELECT kind, entry_key FROM case_passes WHERE case_id = $1 AND from_case_id = $1`, c.ID)
	if err != nil {
		return "", "", false, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, key string
		if err := rows.Scan(&kind, &key); err != nil {
			return "", "", false, err
		}
		switch kind {
		case "name":
			nameKey, ok = key, true
		case "rep":
			repKey = key
		}
	}
	return nameKey, repKey, ok, rows.Err()
}

// registerEnterprise registers the enterprise a producing sub-case just
// granted creates: a new credit code in the case's region, an organisation
// named by the form, naming its legal representative. "" when c creates none.
func (s *Service) registerEnterprise(tx *db.Tx, c *Case, who actor) (orgID, code string, err error) {
	nameKey, repKey, ok, err := founding(tx, c)
	if err != nil || !ok {
		return "", "", err
	}
	name, rep := first(c.Values[nameKey]), first(c.Values[repKey])
	if name == "" {
		return "", "", apperr.E(apperr.Invalid, "case.enterprise_unnamed")
	}
	if code, err = newCreditCode(tx, c.Region); err != nil {
		return "", "", err
	}
	orgID, err = s.identity.RegisterEnterpriseTx(tx, name, code, rep, who.ID)
	if err == nil {
		_, err = tx.Exec(`UPDATE case_passes SET passed_at = $1 WHERE case_id = $2 AND from_case_id = $2`, tx.Now, c.ID)
	}
	return orgID, code, err
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// newCreditCode assigns a unified social credit code (GB 32100) to a
// company registered in region: 9 (市场监督管理), 1 (企业), the county's
// six-digit division, an eight-digit organisation body and both check
// characters; drawn again on the rare clash with an existing code.
func newCreditCode(tx *db.Tx, region string) (string, error) {
	div := (region + "000000")[:6]
	for range 20 {
		n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
		if err != nil {
			return "", err
		}
		code, err := codes.CompleteCreditCode(fmt.Sprintf("91%s%08d", div, n.Int64()))
		if err != nil {
			return "", err
		}
		var one int
		err = tx.QueryRow(`SELECT 1 FROM organisations WHERE credit_code = $1`, code).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return code, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("cases: no free credit code in %s", div)
}

// passOn gives the later sub-cases the producing sub-case's results: the
// credit code in their fields, the licence (its row id, "" when none was
// issued) for their materials; each records where they came from.
func (s *Service) passOn(tx *db.Tx, from *Case, code, licenceID string, who actor) error {
	ids, err := tx.Strings(`SELECT DISTINCT case_id FROM case_passes WHERE from_case_id = $1 AND case_id <> $1 AND passed_at IS NULL ORDER BY case_id`, from.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		c, err := s.load(tx, id)
		if err != nil {
			return err
		}
		a, err := awaiting(tx, c)
		if err != nil {
			return err
		}
		vals := catalog.Values{}
		for k, v := range c.Values {
			vals[k] = v
		}
		var fields, mats []string
		for k := range a.fields {
			vals[k] = []string{code}
			fields = append(fields, k)
		}
		for k := range a.materials {
			if licenceID == "" {
				continue // no licence library: the material is checked by hand
			}
			if _, err := tx.Exec(`INSERT INTO case_licences (case_id, material_key, licence_id, at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (case_id, material_key) DO UPDATE SET licence_id = $3, at = $4`, c.ID, k, licenceID, tx.Now); err != nil {
				return err
			}
			mats = append(mats, k)
		}
		c.Values = vals // a new map: save sees the change
		if err := save(tx, c); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE case_passes SET passed_at = $1 WHERE case_id = $2 AND from_case_id = $3`, tx.Now, c.ID, from.ID); err != nil {
			return err
		}
		if err := appendEvent(tx, c, who, "result_shared", c.State, c.State, "", map[string]any{"from": from.No, "credit_code": code,
			"fields": fields, "materials": mats}); err != nil {
			return err
		}
	}
	return nil
}
