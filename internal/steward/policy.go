package steward

import (
	"context"
	"regexp"
	"slices"
	"time"
)

// PolicyAction is what a policy does with a message or a group change.
type PolicyAction string

// The actions, from weakest to strongest. When several policies match, the
// strongest action wins (see Rank); flag is also kept alongside a stronger
// action, so a redacted or warned message still reaches the review queue
// when any matching policy asked for review.
const (
	ActionAllow      PolicyAction = "allow"      // deliver
	ActionFlag       PolicyAction = "flag"       // deliver, and queue for review
	ActionRedact     PolicyAction = "redact"     // deliver a copy with spans masked; archive keeps the original
	ActionWarn       PolicyAction = "warn"       // hold until the employee confirms with a justification
	ActionApproval   PolicyAction = "approval"   // group changes only: hold until the supervisor approves
	ActionQuarantine PolicyAction = "quarantine" // hold until a compliance officer releases or rejects
	ActionBlock      PolicyAction = "block"      // never deliver; the employee sees the reason
)

// PolicyActions lists the actions from weakest to strongest.
func PolicyActions() []PolicyAction {
	return []PolicyAction{ActionAllow, ActionFlag, ActionRedact, ActionWarn, ActionApproval, ActionQuarantine, ActionBlock}
}

// Rank orders actions by precedence: a higher rank wins. Unknown actions
// rank below allow.
func (a PolicyAction) Rank() int { return slices.Index(PolicyActions(), a) }

// PolicyKind says what a policy judges.
type PolicyKind string

const (
	PolicyMessage PolicyKind = "message" // every message, in either direction
	PolicyGroup   PolicyKind = "group"   // every group operation
)

// Policy is one rule: when Condition (a CEL expression yielding bool) holds
// for an input, Action applies. Policies are configuration, not content:
// they are stored in the clear and every change is a new version.
type Policy struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Kind        PolicyKind   `json:"kind"`
	Condition   string       `json:"condition"`
	Action      PolicyAction `json:"action"`
	// Reason is what the employee (block, warn, quarantine) or the reviewer
	// (flag) is told.
	Reason string `json:"reason,omitempty"`
	// Redact names the detectors whose spans a redact action masks; empty
	// means every finding's span.
	Redact  []string `json:"redact,omitempty"`
	Enabled bool     `json:"enabled"`
	// Version counts the policy's changes from 1. A save must name the
	// version it replaces (0 for a new policy), so two editors cannot
	// silently overwrite each other.
	Version   int       `json:"version"`
	Deleted   bool      `json:"deleted,omitempty"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

var policyNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// CheckPolicy returns Invalid for a policy with a malformed name, kind or
// action, or an empty condition. It does not compile the condition: the
// policy package does that before a save.
func CheckPolicy(p *Policy) error {
	const op Op = "steward.CheckPolicy"
	switch {
	case !policyNameRE.MatchString(p.Name):
		return E(op, Invalid, "a policy name is 1-64 characters of a-z, 0-9, '_', '.', '-'")
	case p.Kind != PolicyMessage && p.Kind != PolicyGroup:
		return Errorf(op, Invalid, "policy kind must be %q or %q", PolicyMessage, PolicyGroup)
	case p.Action.Rank() < 0:
		return Errorf(op, Invalid, "unknown action %q", p.Action)
	case p.Action == ActionApproval && p.Kind != PolicyGroup:
		return E(op, Invalid, "the approval action applies to group policies only")
	case p.Kind == PolicyGroup && (p.Action == ActionRedact || p.Action == ActionWarn || p.Action == ActionQuarantine):
		return Errorf(op, Invalid, "a group policy can allow, flag, require approval or block, not %s", p.Action)
	case p.Condition == "":
		return E(op, Invalid, "a policy needs a condition")
	case len(p.Condition) > 8192:
		return E(op, TooLarge, "a policy condition is at most 8192 bytes")
	}
	return nil
}

// PolicyStore keeps policies and their history.
type PolicyStore interface {
	// SavePolicy stores p as the next version of its policy, or as a new
	// policy when p.ID is unknown. p.Version must be the version being
	// replaced (0 for a new policy): otherwise Conflict. It sets p.Version
	// and p.UpdatedAt and returns the new policy-set version, which grows
	// by one with every change to any policy. Invalid per CheckPolicy;
	// Conflict for a name another policy has.
	SavePolicy(ctx context.Context, p *Policy) (setVersion int64, err error)
	// Policies returns the current version of every policy not deleted,
	// ordered by name, and the policy-set version they make up.
	Policies(ctx context.Context) ([]*Policy, int64, error)
	// PolicyByID returns the current version of a policy, deleted or not.
	// NotFound.
	PolicyByID(ctx context.Context, id string) (*Policy, error)
	// PolicyHistory returns every version of a policy, oldest first.
	// NotFound.
	PolicyHistory(ctx context.Context, id string) ([]*Policy, error)
}

// DetectorKind is how a custom detector finds things.
type DetectorKind string

const (
	DetectorRegex    DetectorKind = "regex"    // Pattern is an RE2 regular expression
	DetectorKeywords DetectorKind = "keywords" // Keywords are words or phrases, matched case-insensitively on word boundaries
	DetectorLexicon  DetectorKind = "lexicon"  // Keywords may also be "a w/N b" proximity terms; feeds the review queue
	DetectorEDM      DetectorKind = "edm"      // exact data match: Pattern cuts candidates, compared by keyed digest
)

// CustomDetector is an administrator's detector. Its findings appear under
// its Name beside the built-in detectors'. For exact data match the
// sensitive values themselves are never stored: only keyed digests of
// them (see DetectorStore.SetEDMDigests).
type CustomDetector struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	Kind     DetectorKind `json:"kind"`
	Pattern  string       `json:"pattern,omitempty"`
	Keywords []string     `json:"keywords,omitempty"`
	// Context words raise a finding's confidence when near it.
	Context    []string  `json:"context,omitempty"`
	Confidence float64   `json:"confidence"`
	Enabled    bool      `json:"enabled"`
	Version    int       `json:"version"`
	Deleted    bool      `json:"deleted,omitempty"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
	// EDMValues is how many digests an exact-data-match detector holds;
	// stores fill it, saves ignore it.
	EDMValues int `json:"edm_values,omitempty"`
}

// DetectorStore keeps custom detectors.
type DetectorStore interface {
	// SaveDetector stores d as the next version of its detector, with the
	// same versioning and Conflict rules as SavePolicy (a name must also
	// differ from every other custom detector's). Invalid for an unknown
	// kind or a malformed name.
	SaveDetector(ctx context.Context, d *CustomDetector) error
	// Detectors returns the current version of every custom detector not
	// deleted, ordered by name.
	Detectors(ctx context.Context) ([]*CustomDetector, error)
	// DetectorByID returns a detector's current version. NotFound.
	DetectorByID(ctx context.Context, id string) (*CustomDetector, error)
	// SetEDMDigests replaces the digests of an exact-data-match detector.
	// Each digest is a keyed hash, never a value in the clear. NotFound;
	// Invalid when the detector is not of kind edm.
	SetEDMDigests(ctx context.Context, detectorID string, digests [][]byte) error
	// EDMDigests returns a detector's digests in no particular order.
	EDMDigests(ctx context.Context, detectorID string) ([][]byte, error)
}

// ReviewState is where a review item stands.
type ReviewState string

const (
	ReviewOpen      ReviewState = "open"
	ReviewAssigned  ReviewState = "assigned"
	ReviewEscalated ReviewState = "escalated"
	ReviewResolved  ReviewState = "resolved"
)

// QuarantineState is what became of a quarantined message.
type QuarantineState string

const (
	QuarantineNone     QuarantineState = ""
	QuarantineHeld     QuarantineState = "held"
	QuarantineReleased QuarantineState = "released"
	QuarantineRejected QuarantineState = "rejected"
)

// ReviewOutcome is a reviewer's verdict on the rules that raised an item;
// it feeds the per-rule hit-rate statistics.
type ReviewOutcome string

const (
	OutcomeNone          ReviewOutcome = ""
	OutcomeTruePositive  ReviewOutcome = "true_positive"
	OutcomeFalsePositive ReviewOutcome = "false_positive"
)

// ReviewItem is a message (or group change) waiting for a compliance
// officer. It holds metadata only; the message is read through the
// archive, with the review item as the read's purpose. Notes are sealed
// into the audit log, not kept here.
type ReviewItem struct {
	ID             string          `json:"id"`
	RecordID       string          `json:"record_id"`   // the message or event under review
	DecisionID     string          `json:"decision_id"` // the archived policy decision; one item per decision
	ConversationID string          `json:"conversation_id,omitempty"`
	Channel        string          `json:"channel,omitempty"`
	Direction      Direction       `json:"direction,omitempty"`
	EmployeeID     string          `json:"employee_id,omitempty"` // whose traffic it is
	Action         PolicyAction    `json:"action"`                // flag or quarantine
	Policies       []string        `json:"policies"`              // ids of the policies that raised it
	Source         string          `json:"source"`                // policy, lexicon, sample, group
	State          ReviewState     `json:"state"`
	Quarantine     QuarantineState `json:"quarantine,omitempty"`
	Assignee       string          `json:"assignee,omitempty"` // employee id of the officer
	Outcome        ReviewOutcome   `json:"outcome,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	ResolvedBy     string          `json:"resolved_by,omitempty"`
	ResolvedAt     *time.Time      `json:"resolved_at,omitempty"`
}

// ReviewFilter selects review items. Zero fields select everything.
type ReviewFilter struct {
	State      ReviewState
	Quarantine QuarantineState
	Assignee   string
	PolicyID   string
	// After is a cursor: the ID of the last item of the previous page.
	// Items are ordered by creation, oldest first.
	After string
	Limit int // 0 means 100; at most 1000
}

// RuleStat is one policy's review feedback.
type RuleStat struct {
	PolicyID       string `json:"policy_id"`
	Items          int    `json:"items"`
	Open           int    `json:"open"`
	TruePositives  int    `json:"true_positives"`
	FalsePositives int    `json:"false_positives"`
}

// PolicyCount is how often a policy was evaluated and matched on one day
// (UTC), for hit rates and the silent-rule alarm.
type PolicyCount struct {
	PolicyID  string `json:"policy_id"`
	Day       string `json:"day"` // YYYY-MM-DD
	Evaluated int64  `json:"evaluated"`
	Matched   int64  `json:"matched"`
}

// SuppressionKind says what a suppression matches.
type SuppressionKind string

const (
	SuppressSender       SuppressionKind = "sender"       // Value is a sender address
	SuppressConversation SuppressionKind = "conversation" // Value is a conversation id
	SuppressValue        SuppressionKind = "value"        // Value is a keyed digest (hex) of a matched value
)

// Suppression stops a policy (or every policy, PolicyID "*") from raising
// review items for what it names, until it expires.
type Suppression struct {
	ID        string          `json:"id"`
	PolicyID  string          `json:"policy_id"`
	Kind      SuppressionKind `json:"kind"`
	Value     string          `json:"value"`
	Reason    string          `json:"reason"`
	CreatedBy string          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
}

// ReviewStore keeps the compliance review queue and its feedback.
type ReviewStore interface {
	// AddReviewItem stores a new item. An item for a DecisionID already
	// queued is not stored again: the existing one is returned with
	// added=false, so re-queuing after a crash is harmless.
	AddReviewItem(ctx context.Context, it *ReviewItem) (stored *ReviewItem, added bool, err error)
	// ReviewItemByID returns one item. NotFound.
	ReviewItemByID(ctx context.Context, id string) (*ReviewItem, error)
	// ReviewItemByRecord returns the newest item for a record. NotFound.
	ReviewItemByRecord(ctx context.Context, recordID string) (*ReviewItem, error)
	// ReviewItems lists items matching f.
	ReviewItems(ctx context.Context, f ReviewFilter) ([]*ReviewItem, error)
	// UpdateReviewItem saves an item's workflow fields (State, Quarantine,
	// Assignee, Outcome, ResolvedBy, ResolvedAt, UpdatedAt). prev is the
	// UpdatedAt the caller read: if the item changed since, Conflict.
	// NotFound.
	UpdateReviewItem(ctx context.Context, it *ReviewItem, prev time.Time) error
	// RuleStats summarises review items per policy created at or after since.
	RuleStats(ctx context.Context, since time.Time) ([]RuleStat, error)
	// AddPolicyCounts adds to the day's counters of each policy.
	AddPolicyCounts(ctx context.Context, counts []PolicyCount) error
	// PolicyCounts returns the counters of days on or after since
	// (YYYY-MM-DD), ordered by policy then day.
	PolicyCounts(ctx context.Context, since string) ([]PolicyCount, error)
	// AddSuppression stores s (ID set by the caller). Invalid for an
	// unknown kind or an empty value.
	AddSuppression(ctx context.Context, s *Suppression) error
	// Suppressions lists suppressions not expired at now.
	Suppressions(ctx context.Context, now time.Time) ([]*Suppression, error)
	// DeleteSuppression removes one. NotFound.
	DeleteSuppression(ctx context.Context, id string) error
}

// ApprovalState is where a request for approval stands.
type ApprovalState string

const (
	ApprovalPending  ApprovalState = "pending"
	ApprovalApproved ApprovalState = "approved"
	ApprovalDenied   ApprovalState = "denied"
)

// Approval is a change waiting for someone else's yes: a supervisor's for
// adding outside members to a group, a second records manager's for a
// disposition. Payload is what to do once approved; it holds addresses
// and ids, never message content.
type Approval struct {
	ID          string         `json:"id"`
	Kind        string         `json:"kind"` // e.g. group_add, disposition
	Subject     string         `json:"subject"`
	RequestedBy string         `json:"requested_by"` // employee id
	Approver    string         `json:"approver,omitempty"`
	Payload     map[string]any `json:"payload,omitempty"`
	Reason      string         `json:"reason,omitempty"`
	State       ApprovalState  `json:"state"`
	DecidedBy   string         `json:"decided_by,omitempty"`
	DecidedAt   *time.Time     `json:"decided_at,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
}

// ApprovalStore keeps approval requests.
type ApprovalStore interface {
	// AddApproval stores a pending approval (ID set by the caller).
	AddApproval(ctx context.Context, a *Approval) error
	// ApprovalByID returns one. NotFound.
	ApprovalByID(ctx context.Context, id string) (*Approval, error)
	// Approvals lists approvals of a kind (any kind if empty) in a state
	// (any if empty), optionally only those whose Approver is approver,
	// newest first.
	Approvals(ctx context.Context, kind string, state ApprovalState, approver string) ([]*Approval, error)
	// DecideApproval moves a pending approval to approved or denied.
	// Conflict when it is no longer pending; NotFound.
	DecideApproval(ctx context.Context, id string, state ApprovalState, by string, at time.Time) error
}

// PolicyOutcome is the policy decision sealed into a captured message.
type PolicyOutcome struct {
	// Action is what was enforced; Said is what policy asked for when the
	// enforcement limits (inbound, linked mode) made it weaker.
	Action PolicyAction `json:"action"`
	Said   PolicyAction `json:"said,omitempty"`
	Flag   bool         `json:"flag,omitempty"`
	// Reason is what the employee is told (block, warn, quarantine).
	Reason string `json:"reason,omitempty"`
	// Redact lists the byte spans of Body masked in the delivered copy; the
	// archive keeps the original.
	Redact     []Span `json:"redact,omitempty"`
	SetVersion int64  `json:"set_version"`
	// Decision is the record id of the archived policy decision, when one
	// was archived (every outcome but a plain allow).
	Decision string `json:"decision,omitempty"`
}

// Span is a byte range [Start, End) of a text and what was found there.
type Span struct {
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Detector string `json:"detector,omitempty"`
}

// RedactionMark replaces each redacted span in a delivered copy.
const RedactionMark = "[REDACTED]"

// Mask returns text with the union of spans replaced by RedactionMark;
// overlapping and adjacent spans make one mark. Spans outside text are
// clipped, so a malformed span can hide too much, never too little.
func Mask(text string, spans []Span) string {
	if len(spans) == 0 {
		return text
	}
	ss := slices.Clone(spans)
	slices.SortFunc(ss, func(a, b Span) int { return a.Start - b.Start })
	var b []byte
	pos := 0
	for i := 0; i < len(ss); {
		start, end := max(ss[i].Start, 0), ss[i].End
		for i++; i < len(ss) && ss[i].Start <= end; i++ {
			end = max(end, ss[i].End)
		}
		start, end = max(start, pos), min(end, len(text))
		if start >= end {
			continue
		}
		b = append(b, text[pos:start]...)
		b = append(b, RedactionMark...)
		pos = end
	}
	return string(append(b, text[pos:]...))
}

// DeliveredBody is the text that leaves Steward for a captured message:
// its body with any policy redactions applied.
func (c *Content) DeliveredBody() string {
	if c.Policy == nil {
		return c.Body
	}
	return Mask(c.Body, c.Policy.Redact)
}
