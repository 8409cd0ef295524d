package steward

import "context"

// SuccessorStore keeps who takes over an employee's conversations and
// group admin rights when they leave, when that is not their manager.
type SuccessorStore interface {
	// SetSuccessor names successorID as employeeID's successor; an empty
	// successorID clears it. Returns NotFound if either employee does not
	// exist, Invalid if they are the same.
	SetSuccessor(ctx context.Context, employeeID, successorID string) error
	// SuccessorOf returns employeeID's configured successor, or "".
	SuccessorOf(ctx context.Context, employeeID string) (string, error)
	// SucceededBy lists the employees whose configured successor is
	// successorID.
	SucceededBy(ctx context.Context, successorID string) ([]string, error)
}

// SuccessorID returns who takes over from e when they leave: their
// configured successor if any, else their manager (see ManagerID), else "".
func SuccessorID(ctx context.Context, s interface {
	EmployeeStore
	SuccessorStore
}, e *Employee) (string, error) {
	if id, err := s.SuccessorOf(ctx, e.ID); err != nil || id != "" {
		return id, err
	}
	return ManagerID(ctx, s, e.ManagerID)
}
