package server

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// Case actions are audited; the signed checkpoint verifies with the keys the
// API publishes (Ed25519 through the note package, SM2 through gmsm), and a
// record's proof checks against it; consistency between two checkpoints too.
func TestAuditAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		keys, err := audit.GenerateKeys("tongban.test/audit")
		if err != nil {
			t.Fatal(err)
		}
		ts := newTestServer(t, d, func(o *Options) { o.AuditKeys = keys })
		api := ts.URL + "/api/v1"
		if st, m := apiCall(t, "GET", api+"/audit/checkpoint", "", ""); st != 404 || m["message_key"] != "audit.empty" {
			t.Fatalf("empty log: %d %v", st, m)
		}
		clerk, sup := apiToken(t, api, "clerk"), apiToken(t, api, "supervisor")
		code := soleTraderCode(t, api)
		file := func() string {
			st, m := apiCall(t, "POST", api+"/cases", clerk, `{"item_code":"`+code+`","applicant":"500102198506120011","submit":true,"accept":true,
				"form_values":{"applicant_name":["张三"],"applicant_id":["500102198506120011"],"applicant_phone":["13800000000"],"form_of":["person"],
				"scope":["小吃服务"],"org_address":["500102006001","滨江路 1 号"],"capital":["5"]}}`)
			if st != 200 && st != 201 {
				t.Fatalf("file: %d %v", st, m)
			}
			return m["case"].(map[string]any)["case_no"].(string)
		}
		seq := &audit.Sequencer{DB: d, Holder: "t"}
		step := func() {
			for {
				n, err := seq.Step(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					return
				}
			}
		}
		step() // what seeding recorded: accounts, grants, items
		base, err := audit.Size(context.Background(), d)
		if err != nil || base == 0 {
			t.Fatalf("seeding recorded %d: %v", base, err)
		}
		file()
		step()
		st, m := apiCall(t, "GET", api+"/audit/checkpoint", "", "")
		if st != 200 {
			t.Fatalf("checkpoint: %d %v", st, m)
		}
		size1 := int64(m["tree_size"].(float64))
		// The submit (filed and submitted at once) and accept events: two records more.
		if size1 != base+2 {
			t.Fatalf("tree size %d after %d", size1, base)
		}
		root1 := verifyPublished(t, m)

		_, m = apiCall(t, "GET", api+fmt.Sprintf("/audit/records/%d", base+1), sup, "")
		leaf, _ := base64.StdEncoding.DecodeString(m["leaf"].(string))
		if !strings.Contains(string(leaf), "action case.accept\n") {
			t.Fatalf("record 1: %s", leaf)
		}
		var proof tlog.RecordProof
		for _, h := range m["proof"].([]any) {
			b, _ := base64.StdEncoding.DecodeString(h.(string))
			var x tlog.Hash
			copy(x[:], b)
			proof = append(proof, x)
		}
		if err := tlog.CheckRecord(proof, size1, root1, base+1, tlog.RecordHash(leaf)); err != nil {
			t.Fatalf("inclusion: %v", err)
		}
		if st, _ := apiCall(t, "GET", api+"/audit/records/1", clerk, ""); st != 403 {
			t.Fatalf("a clerk reads audit records: %d", st)
		}
		if st, m := apiCall(t, "GET", api+"/audit/records/99999", sup, ""); st != 404 || m["message_key"] != "audit.no_record" {
			t.Fatalf("record 99999: %d %v", st, m)
		}

		// The log grows; the new checkpoint is consistent with the first.
		file()
		step()
		_, m = apiCall(t, "GET", api+"/audit/checkpoint", "", "")
		size2 := int64(m["tree_size"].(float64))
		root2 := verifyPublished(t, m)
		_, m = apiCall(t, "GET", api+fmt.Sprintf("/audit/consistency?old=%d&new=%d", size1, size2), "", "")
		var tp tlog.TreeProof
		for _, h := range m["proof"].([]any) {
			b, _ := base64.StdEncoding.DecodeString(h.(string))
			var x tlog.Hash
			copy(x[:], b)
			tp = append(tp, x)
		}
		if err := tlog.CheckTree(tp, size2, root2, size1, root1); err != nil {
			t.Fatalf("consistency %d→%d: %v", size1, size2, err)
		}
		if st, _ := apiCall(t, "GET", api+"/audit/consistency?old=x&new=2", "", ""); st != 400 {
			t.Fatalf("bad consistency request: %d", st)
		}
	})
}

// verifyPublished checks a checkpoint with the keys published beside it —
// Ed25519 by the note package, SM2 by a verifier built from the PEM — and
// returns its root.
func verifyPublished(t *testing.T, m map[string]any) tlog.Hash {
	t.Helper()
	k := m["keys"].(map[string]any)
	ed, err := note.NewVerifier(k["ed25519"].(string))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(k["sm2_public_key"].(string)))
	pub, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sm := audit.NewSM2Verifier(ed.Name(), pub.(*ecdsa.PublicKey))
	n, err := note.Open([]byte(m["checkpoint"].(string)), note.VerifierList(ed, sm))
	if err != nil || len(n.Sigs) != 2 {
		t.Fatalf("checkpoint: %v", err)
	}
	_, _, root, err := audit.ParseCheckpoint(n.Text)
	if err != nil {
		t.Fatal(err)
	}
	return root
}
