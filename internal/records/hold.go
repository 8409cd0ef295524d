package records

import (
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// CheckHold returns Invalid for a hold without an id, name, reason or
// owner, with an empty custodian or conversation id, with From after
// Until, or already carrying release fields. A hold that sets no scope at
// all is valid: it freezes the whole archive.
func CheckHold(h *steward.Hold) error {
	const op steward.Op = "records.CheckHold"
	switch {
	case h.ID == "":
		return steward.E(op, steward.Invalid, "a hold needs an id")
	case strings.TrimSpace(h.Name) == "":
		return steward.E(op, steward.Invalid, "a hold needs a name")
	case strings.TrimSpace(h.Reason) == "":
		return steward.E(op, steward.Invalid, "a hold needs a reason")
	case h.Owner == "":
		return steward.E(op, steward.Invalid, "a hold needs an owner")
	case slices.Contains(h.Custodians, ""):
		return steward.E(op, steward.Invalid, "a custodian id cannot be empty")
	case slices.Contains(h.Conversations, ""):
		return steward.E(op, steward.Invalid, "a conversation id cannot be empty")
	case h.From != nil && h.Until != nil && h.From.After(*h.Until):
		return steward.E(op, steward.Invalid, "a hold's date range starts after it ends")
	case len(h.Query) > maxConditionBytes:
		return steward.Errorf(op, steward.TooLarge, "a hold query is at most %d bytes", maxConditionBytes)
	case h.ReleasedAt != nil || h.ReleasedBy != "":
		return steward.E(op, steward.Invalid, "a new hold cannot be released already")
	}
	return nil
}

// Release returns h released by by at at, for reason. Conflict when h is
// already released; Invalid without a releaser or a reason. Who may
// release is the caller's decision (the hold's owner or a records
// manager); the caller audits the release. Records the hold covered
// return to their normal eligibility from at on.
func Release(h steward.Hold, by, reason string, at time.Time) (steward.Hold, error) {
	const op steward.Op = "records.Release"
	switch {
	case h.ReleasedAt != nil:
		return h, steward.Errorf(op, steward.Conflict, "hold %s was already released on %s", h.ID, h.ReleasedAt.Format(time.DateOnly))
	case by == "":
		return h, steward.E(op, steward.Invalid, "a release needs who releases")
	case strings.TrimSpace(reason) == "":
		return h, steward.E(op, steward.Invalid, "a release needs a reason")
	}
	h.Custodians = slices.Clone(h.Custodians)
	h.Conversations = slices.Clone(h.Conversations)
	h.ReleasedBy, h.ReleaseReason, h.ReleasedAt = by, reason, &at
	return h, nil
}

// Covered returns the records among recs that h covers, for a hold
// preview. It ignores whether h is active, so a draft hold can be
// previewed before it is created.
func Covered(h *steward.Hold, recs []steward.RecordFacts) []string {
	var ids []string
	for _, r := range recs {
		if h.Covers(r) {
			ids = append(ids, r.RecordID)
		}
	}
	return ids
}
