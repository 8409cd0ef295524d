package steward

import (
	"context"
	"time"
)

// Employee is a person in the organization, as the identity provider (or,
// without one, an administrator) describes them.
//
// An employee is never destroyed: records refer to them for as long as the
// records are kept. Deleting one (EmployeeStore.DeleteEmployee) marks them
// deleted and inactive and releases their user name and external id, so
// that the identity provider may reuse both for someone else.
type Employee struct {
	ID          string `json:"id"`
	ExternalID  string `json:"external_id,omitempty"` // the identity provider's id
	UserName    string `json:"user_name"`             // unique sign-in name, usually the work email
	DisplayName string `json:"display_name"`
	Email       string `json:"email,omitempty"`
	Department  string `json:"department,omitempty"`
	Title       string `json:"title,omitempty"`
	Seniority   string `json:"seniority,omitempty"`
	// EmployeeNumber and Organization come from the SCIM enterprise
	// extension, as the identity provider sends them.
	EmployeeNumber string `json:"employee_number,omitempty"`
	Organization   string `json:"organization,omitempty"`
	// ManagerID is the manager's employee id as the identity provider sent
	// it; it is not checked, since a manager may be provisioned later.
	ManagerID string `json:"manager_id,omitempty"`
	// CapstoneOfficial marks a senior official whose messages the Capstone
	// approach keeps permanently.
	CapstoneOfficial bool `json:"capstone_official,omitempty"`
	// Caveats are the clearance or handling caveats the organization maps
	// from its directory, opaque to the store.
	Caveats []string `json:"caveats,omitempty"`
	Active  bool     `json:"active"`
	// SCIMResource is the SCIM User resource exactly as the identity
	// provider last left it (after applying its PATCHes), without id and
	// meta; nil for employees never provisioned over SCIM. The store keeps
	// it as opaque bytes.
	SCIMResource []byte    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// DeletedAt is set once the employee is deleted; see DeleteEmployee.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// EmployeeQuery selects employees not deleted. Empty fields match every
// employee; set fields must all match.
type EmployeeQuery struct {
	UserName   string // compared case-insensitively (Unicode simple folding), as SCIM requires
	ExternalID string // compared exactly
	Email      string // compared case-insensitively (ASCII)
	ManagerID  string // compared exactly: the manager's direct reports
	// IncludeDeleted returns employees deleted over SCIM too (their
	// records and conversations outlive them).
	IncludeDeleted bool
	Offset         int // rows to skip
	Limit          int // at most this many rows; 0 means no limit
}

// IdentityMode says how Steward holds a work identity.
type IdentityMode string

const (
	// IdentityGoverned is an organization-registered number held by the
	// channel gateway; Steward sees and governs everything before it leaves.
	IdentityGoverned IdentityMode = "governed"
	// IdentityLinked is the employee's own account with Steward linked as a
	// device; Steward captures everything but cannot stop what the phone sends.
	IdentityLinked IdentityMode = "linked"
)

// IdentityStatus is the lifecycle state of a work identity.
type IdentityStatus string

const (
	IdentityActive      IdentityStatus = "active"
	IdentityPendingLink IdentityStatus = "pending_link"
	IdentitySuspended   IdentityStatus = "suspended"
)

// Identity is an employee's governed address on a channel.
type Identity struct {
	ID         string         `json:"id"`
	EmployeeID string         `json:"employee_id"`
	Channel    Channel        `json:"channel"`
	Address    string         `json:"address"` // e.g. an E.164 number
	Mode       IdentityMode   `json:"mode"`
	Status     IdentityStatus `json:"status"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// ConsentState is where an outside contact stands in the consent lifecycle.
type ConsentState string

const (
	ConsentPending  ConsentState = "pending"
	ConsentActive   ConsentState = "active"
	ConsentDeclined ConsentState = "declined"
	ConsentExpired  ConsentState = "expired"
	ConsentRevoked  ConsentState = "revoked"
)

// Contact is an outside party an employee talks to on a channel.
type Contact struct {
	ID             string       `json:"id"`
	EmployeeID     string       `json:"employee_id"`
	Channel        Channel      `json:"channel"`
	Address        string       `json:"address"`
	DisplayName    string       `json:"display_name,omitempty"`
	ConsentState   ConsentState `json:"consent_state"`
	ConsentVersion string       `json:"consent_version,omitempty"` // the consent text version asked or agreed to
	// RequestedAt is when the latest consent request was made; expiry
	// counts from it. Nil if none was ever sent (e.g. imported contacts).
	RequestedAt *time.Time `json:"requested_at,omitempty"`
	// ConsentChangedAt is when ConsentState last changed.
	ConsentChangedAt *time.Time `json:"consent_changed_at,omitempty"`
	// ConsentReason says, for the employee, why the state is what it is:
	// "declined by reply", "no reply within 7 days", "STOP received", …
	ConsentReason string    `json:"consent_reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Member is one participant of a conversation, by channel address.
type Member struct {
	Address string    `json:"address"`
	Admin   bool      `json:"admin,omitempty"`
	AddedAt time.Time `json:"added_at"`
}

// ConversationSummary is a conversation as a participant's list shows it.
type ConversationSummary struct {
	Conversation
	Members []Member `json:"members"`
	// LastLeaf is the leaf index of the newest record in the conversation,
	// -1 if none; lists sort by it, newest first.
	LastLeaf int64 `json:"last_leaf"`
}

// ConversationKind distinguishes one-to-one chats from groups.
type ConversationKind string

const (
	ConversationDirect ConversationKind = "direct"
	ConversationGroup  ConversationKind = "group"
)

// Conversation is a thread on a channel. Key is unique per channel: the
// group id for groups, or the sorted pair of addresses for direct chats.
type Conversation struct {
	ID        string           `json:"id"`
	Channel   Channel          `json:"channel"`
	Kind      ConversationKind `json:"kind"`
	Key       string           `json:"key"`
	Title     string           `json:"title,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
}

// EmployeeStore keeps employees. Callers are the admin API, SCIM
// provisioning and seeding; authorization is the caller's job.
type EmployeeStore interface {
	// CreateEmployee stores e, assigning ID and timestamps when empty.
	// Returns Conflict if UserName (compared case-insensitively) or
	// ExternalID is taken by an employee not deleted, Invalid if UserName
	// is empty. DeletedAt is ignored: employees are created undeleted.
	CreateEmployee(ctx context.Context, e *Employee) error
	// UpdateEmployee replaces the stored fields of e.ID but CreatedAt and
	// DeletedAt. Returns NotFound if there is no such employee or it is
	// deleted, Conflict as CreateEmployee.
	UpdateEmployee(ctx context.Context, e *Employee) error
	// DeleteEmployee marks the employee deleted and inactive at time at,
	// releases its user name and external id for reuse (EmployeeByID
	// still reports both), and removes it from every group. Nothing else is
	// removed: the employee's identities, contacts and records stay.
	// Returns NotFound if there is no such employee or it is already
	// deleted.
	DeleteEmployee(ctx context.Context, id string, at time.Time) error
	// EmployeeByID returns NotFound if there is none. It returns deleted
	// employees too, with DeletedAt set, since records still name them.
	EmployeeByID(ctx context.Context, id string) (*Employee, error)
	// EmployeeByUserName returns the undeleted employee with exactly this
	// user name, or NotFound.
	EmployeeByUserName(ctx context.Context, userName string) (*Employee, error)
	// Employees lists the employees not deleted, ordered by user name.
	Employees(ctx context.Context) ([]*Employee, error)
	// QueryEmployees returns the employees that match q, the deleted ones
	// only with q.IncludeDeleted,
	// ordered by case-folded user name then id, with q.Offset and q.Limit
	// applied, and the number that match before paging. Returns Invalid
	// for a negative offset or limit.
	QueryEmployees(ctx context.Context, q EmployeeQuery) ([]*Employee, int, error)
}

// IdentityStore keeps work identities.
type IdentityStore interface {
	// CreateIdentity stores id. Returns Conflict if the channel address is
	// already someone's identity, NotFound if the employee does not exist.
	CreateIdentity(ctx context.Context, id *Identity) error
	// UpdateIdentity replaces mode and status. Returns NotFound.
	UpdateIdentity(ctx context.Context, id *Identity) error
	// IdentityByID returns NotFound if there is none.
	IdentityByID(ctx context.Context, id string) (*Identity, error)
	// IdentityByAddress returns NotFound if no identity holds the address.
	IdentityByAddress(ctx context.Context, ch Channel, address string) (*Identity, error)
	// IdentitiesByEmployee lists an employee's identities.
	IdentitiesByEmployee(ctx context.Context, employeeID string) ([]*Identity, error)
}

// ContactStore keeps outside contacts.
type ContactStore interface {
	// CreateContact stores c. Returns Conflict if the employee already has
	// a contact at that channel address, NotFound if the employee does not exist.
	CreateContact(ctx context.Context, c *Contact) error
	// UpdateContact replaces display name and consent fields. Returns NotFound.
	UpdateContact(ctx context.Context, c *Contact) error
	// ContactByID returns NotFound if there is none.
	ContactByID(ctx context.Context, id string) (*Contact, error)
	// ContactByAddress returns the employee's contact at an address, or NotFound.
	ContactByAddress(ctx context.Context, employeeID string, ch Channel, address string) (*Contact, error)
	// ContactsByEmployee lists an employee's contacts.
	ContactsByEmployee(ctx context.Context, employeeID string) ([]*Contact, error)
	// ContactsByAddress lists every employee's contact at an address.
	ContactsByAddress(ctx context.Context, ch Channel, address string) ([]*Contact, error)
	// PendingContactsBefore lists contacts in state pending whose
	// RequestedAt is before t, oldest first, at most limit of them; the
	// expiry sweep uses it.
	PendingContactsBefore(ctx context.Context, t time.Time, limit int) ([]*Contact, error)
	// AddConsentEvent indexes an archived consent record under its
	// contact, so a contact's consent history is found without a scan.
	// Returns Invalid if the contact, record or action is empty, NotFound
	// for an unknown contact, Conflict if the record is already indexed.
	AddConsentEvent(ctx context.Context, ev *ConsentEvent) error
	// ConsentEvents lists a contact's consent events, oldest first, and in
	// the order they were added when their times are equal.
	ConsentEvents(ctx context.Context, contactID string) ([]*ConsentEvent, error)
}

// ConversationStore keeps conversations.
type ConversationStore interface {
	// EnsureConversation returns the conversation with c.Channel and c.Key,
	// creating it from c if it does not exist. Safe to call concurrently.
	EnsureConversation(ctx context.Context, c *Conversation) (*Conversation, error)
	// ConversationByID returns NotFound if there is none.
	ConversationByID(ctx context.Context, id string) (*Conversation, error)
	// AddMembers adds addresses to a conversation; ones already present
	// keep their AddedAt but take the new Admin flag. Returns NotFound if
	// the conversation does not exist.
	AddMembers(ctx context.Context, conversationID string, ms []Member) error
	// RemoveMembers removes addresses; absent ones are ignored.
	RemoveMembers(ctx context.Context, conversationID string, addresses []string) error
	// Members lists a conversation's members ordered by address.
	Members(ctx context.Context, conversationID string) ([]Member, error)
	// ConversationsOf lists the conversations on channel ch of which any
	// of addresses is a member, newest activity first (see LastLeaf).
	ConversationsOf(ctx context.Context, ch Channel, addresses []string) ([]*ConversationSummary, error)
	// ConversationRecords returns up to limit records of a conversation
	// (those whose Record.ConversationID is id) with leaf index > after,
	// oldest first, each with its key unless shredded.
	ConversationRecords(ctx context.Context, id string, after int64, limit int) ([]*Record, error)
	// LastConversationRecords returns the newest limit records of a
	// conversation, oldest first.
	LastConversationRecords(ctx context.Context, id string, limit int) ([]*Record, error)
	// ConversationRecordsBefore returns the newest limit records of a
	// conversation with leaf index < before, oldest first: the context
	// that precedes a record.
	ConversationRecordsBefore(ctx context.Context, id string, before int64, limit int) ([]*Record, error)
}

// ManagerID resolves an employee's manager reference as the identity
// provider sent it: Entra ID sends the manager's SCIM id (Steward's
// employee id), Okta the manager's own id, which Steward keeps as their
// externalId. Returns "" when the reference names no one.
func ManagerID(ctx context.Context, es EmployeeStore, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	if m, err := es.EmployeeByID(ctx, ref); err == nil {
		return m.ID, nil
	} else if !Is(NotFound, err) {
		return "", err
	}
	ms, _, err := es.QueryEmployees(ctx, EmployeeQuery{ExternalID: ref, Limit: 1})
	if err != nil || len(ms) == 0 {
		return "", err
	}
	return ms[0].ID, nil
}
