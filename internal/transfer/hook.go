package transfer

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/steward-gov/steward/internal/steward"
)

// BatchHook returns the hook through which the records service hands an
// executed transfer batch to NARA (recordkeeping.Service.Transfer): it
// builds the batch's package into dir/<batch id>, with the batch id as
// package id and, unless d.Actor is set, the executor as the actor of the
// audited read. The batch's attachments and policy decisions go with
// their messages.
//
// A package already in place that verifies with d.PublicKey is taken as
// built, so an execution resumed after a crash does not fail; one that
// does not verify is Conflict, for a person to look at. Other errors are
// those of Build.
func BatchHook(d Deps, dir string) func(ctx context.Context, b *steward.DispositionBatch) error {
	return func(ctx context.Context, b *steward.DispositionBatch) error {
		const op steward.Op = "transfer.BatchHook"
		if b.Action != steward.DispositionTransfer {
			return steward.Errorf(op, steward.Invalid, "batch %s is a %s batch, not a transfer", b.ID, b.Action)
		}
		out := filepath.Join(dir, b.ID)
		if _, err := os.Lstat(out); err == nil {
			rep, err := Verify(out, VerifyOptions{PublicKey: d.PublicKey})
			if err != nil {
				return steward.E(op, err)
			}
			if !rep.OK() || rep.PackageID != b.ID {
				return steward.Errorf(op, steward.Conflict, "%s holds a package that does not verify (%d problems)", out, len(rep.Problems))
			}
			return nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return steward.E(op, steward.Unavailable, err)
		}
		ids := make([]string, len(b.Records))
		for i, r := range b.Records {
			ids[i] = r.RecordID
		}
		d.PackageID = b.ID
		if d.Actor == "" {
			d.Actor = b.ExecutedBy
		}
		if _, err := Build(ctx, d, ids, out, nil); err != nil {
			return steward.E(op, err)
		}
		return nil
	}
}
