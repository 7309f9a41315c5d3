package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
)

var auditIndex string

func auditFlagSet(fs *flag.FlagSet, lf *localFlags) {
	fs.StringVar(&auditIndex, "index", "", "prove: the record's leaf index")
}

// runAudit verifies the whole audit log (exit 1 and the first bad index on
// failure) or proves one record against the latest checkpoint.
func runAudit(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	if len(args) != 1 || (args[0] != "verify" && args[0] != "prove") {
		fmt.Fprintln(e.Stderr, "usage: tongban audit verify | tongban audit prove --index N")
		return errUsage
	}
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	dir := cfg.Or(cfg.AuditKeys, "audit-keys")
	keys, err := audit.LoadKeys(dir, cfg.AuditOrigin, false)
	if err != nil {
		return err
	}
	verifiers, err := keys.Verifiers()
	if err != nil {
		return err
	}
	if args[0] == "verify" {
		rep, err := audit.Verify(ctx, d, verifiers)
		var bad *audit.BadRecord
		if errors.As(err, &bad) {
			fmt.Fprintf(e.Stdout, "FAIL record %d: %s\n", bad.Index, bad.Reason)
			return errSilent
		}
		if err != nil {
			fmt.Fprintf(e.Stdout, "FAIL %v\n", err)
			return errSilent
		}
		fmt.Fprintf(e.Stdout, "ok: %d records, %d checkpoints verified\n", rep.Records, rep.Checkpoints)
		return nil
	}
	index, err := strconv.ParseInt(auditIndex, 10, 64)
	if err != nil || index < 0 {
		fmt.Fprintln(e.Stderr, "tongban audit prove: --index must be a leaf index (0, 1, …)")
		return errUsage
	}
	msg, size, err := keys.Checkpoint(ctx, d)
	if err != nil {
		return err
	}
	n, err := note.Open(msg, verifiers)
	if err != nil {
		return err
	}
	_, _, root, err := audit.ParseCheckpoint(n.Text)
	if err != nil {
		return err
	}
	rec, proof, err := audit.ProveRecord(ctx, d, index, size)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "%s\n-- leaf %d of %d\n", rec.Leaf(), index, size)
	for _, h := range proof {
		fmt.Fprintln(e.Stdout, base64.StdEncoding.EncodeToString(h[:]))
	}
	fmt.Fprintf(e.Stdout, "-- checkpoint\n%s", msg)
	if err := checkRecord(proof, size, root, index, rec); err != nil {
		fmt.Fprintf(e.Stdout, "FAIL %v\n", err)
		return errSilent
	}
	fmt.Fprintln(e.Stdout, "ok: the record is in the signed tree")
	return nil
}

func checkRecord(proof tlog.RecordProof, size int64, root tlog.Hash, index int64, rec *audit.Record) error {
	return tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(rec.Leaf()))
}
