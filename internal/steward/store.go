package steward

import "context"

// Store is everything a storage engine provides. The sqlite package and,
// later, postgres implement it; storetest checks any implementation.
type Store interface {
	LogStore
	AuditStore
	EmployeeStore
	SuccessorStore
	GroupStore
	IdentityStore
	ContactStore
	ConversationStore
	TokenStore
	ConsentTextStore
	DeliveryStore
	SignInStore
	RoleMappingStore
	PolicyStore
	DetectorStore
	ReviewStore
	ApprovalStore
	ScheduleStore
	AssignmentStore
	HoldStore
	DispositionStore
	FOIARequestStore
	CaseStore
	// Ping reports whether the store can serve. Returns Unavailable if not.
	Ping(ctx context.Context) error
	Close() error
}
