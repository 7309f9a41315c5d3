package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// Audit records are read within the reader's scope: a record about a case
// by supervisors and administrators whose scope covers the case; a record
// about an account only by installation-level ones.
func TestAuditRecordScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		keys, err := audit.GenerateKeys("tongban.test/audit")
		if err != nil {
			t.Fatal(err)
		}
		ts := newTestServer(t, d, func(o *Options) { o.AuditKeys = keys })
		api := ts.URL + "/api/v1"
		gov := deptID(t, d, govName)
		ts.scopedStaff(t, "town-supervisor", identity.Grant{Role: identity.RoleSupervisor, DepartmentID: gov, RegionCode: townRegion})
		ts.scopedStaff(t, "street-supervisor", identity.Grant{Role: identity.RoleSupervisor, DepartmentID: gov, RegionCode: streetRegion})
		ts.scopedStaff(t, "town-admin", identity.Grant{Role: identity.RoleAdmin, RegionCode: townRegion})
		code := soleTraderCode(t, api)
		file := func() string {
			st, m := apiCall(t, "POST", api+"/cases", apiToken(t, api, "clerk"), `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,
				"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"form_of":["person"],
				"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
			if st != 200 && st != 201 {
				t.Fatalf("file: %d %v", st, m)
			}
			return m["case"].(map[string]any)["id"].(string)
		}
		district, town := file(), file()
		if err := d.Update(context.Background(), func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE cases SET region_code = $1 WHERE id = $2`, townRegion, town)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		seq := &audit.Sequencer{DB: d, Holder: "t"}
		for {
			n, err := seq.Step(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		index := func(objectType, objectID string) int64 {
			var i int64
			if err := d.Reader().QueryRow(`SELECT MIN(leaf_index) FROM audit_records WHERE object_type = $1 AND object_id = $2`,
				objectType, objectID).Scan(&i); err != nil {
				t.Fatal(err)
			}
			return i
		}
		var account string
		d.Reader().QueryRow(`SELECT id FROM users WHERE username = 'zhangsan'`).Scan(&account)
		rec := map[string]int64{"district case": index("case", district), "town case": index("case", town), "account": index("user", account)}
		for _, c := range []struct {
			who, record string
			status      int
		}{
			{"supervisor", "district case", 200},
			{"supervisor", "town case", 200},
			{"supervisor", "account", 200}, // the district's supervisor is the installation's
			{"admin", "account", 200},
			{"town-supervisor", "district case", 404},
			{"town-supervisor", "town case", 200},
			{"town-supervisor", "account", 404},
			{"street-supervisor", "town case", 404},
			{"town-admin", "district case", 404},
			{"town-admin", "town case", 200},
			{"town-admin", "account", 404},
			{"handler", "district case", 403},
		} {
			st, m := apiCall(t, "GET", api+fmt.Sprintf("/audit/records/%d", rec[c.record]), apiToken(t, api, c.who), "")
			if st != c.status {
				t.Errorf("%s reads the record about the %s: %d %v, want %d", c.who, c.record, st, m, c.status)
			}
		}
	})
}
