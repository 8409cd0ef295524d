package steward

import (
	"context"
	"time"
)

// Employee is a person in the organization, as the identity provider (or,
// without one, an administrator) describes them.
type Employee struct {
	ID          string    `json:"id"`
	ExternalID  string    `json:"external_id,omitempty"` // the identity provider's id
	UserName    string    `json:"user_name"`             // unique sign-in name, usually the work email
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email,omitempty"`
	Department  string    `json:"department,omitempty"`
	Title       string    `json:"title,omitempty"`
	Seniority   string    `json:"seniority,omitempty"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
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
	ConsentVersion string       `json:"consent_version,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
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
	// Returns Conflict if UserName or ExternalID is taken, Invalid if
	// UserName is empty.
	CreateEmployee(ctx context.Context, e *Employee) error
	// UpdateEmployee replaces the stored fields of e.ID. Returns NotFound.
	UpdateEmployee(ctx context.Context, e *Employee) error
	// EmployeeByID returns NotFound if there is none.
	EmployeeByID(ctx context.Context, id string) (*Employee, error)
	// EmployeeByUserName returns NotFound if there is none.
	EmployeeByUserName(ctx context.Context, userName string) (*Employee, error)
	// Employees lists employees ordered by user name.
	Employees(ctx context.Context) ([]*Employee, error)
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
}

// ConversationStore keeps conversations.
type ConversationStore interface {
	// EnsureConversation returns the conversation with c.Channel and c.Key,
	// creating it from c if it does not exist. Safe to call concurrently.
	EnsureConversation(ctx context.Context, c *Conversation) (*Conversation, error)
	// ConversationByID returns NotFound if there is none.
	ConversationByID(ctx context.Context, id string) (*Conversation, error)
}
