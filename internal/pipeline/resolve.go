package pipeline

import (
	"context"

	"github.com/steward-gov/steward/internal/steward"
)

// DirectoryResolver is the default IdentityHook: it marks each party whose
// address is a work identity with that identity's employee, and each party
// that is a known contact of that employee with the contact's id.
type DirectoryResolver struct {
	Identities steward.IdentityStore
	Contacts   steward.ContactStore
}

// Resolve fills Party.EmployeeID and Party.ContactID where known. Unknown
// addresses are not an error: outside parties are unknown until added.
func (d *DirectoryResolver) Resolve(ctx context.Context, it *steward.Item) error {
	employee := ""
	mark := func(p *steward.Party) error {
		id, err := d.Identities.IdentityByAddress(ctx, it.Channel, p.Address)
		switch {
		case err == nil:
			p.EmployeeID = id.EmployeeID
			if employee == "" {
				employee = id.EmployeeID
			}
		case !steward.Is(steward.NotFound, err):
			return err
		}
		return nil
	}
	if err := mark(&it.Sender); err != nil {
		return err
	}
	for i := range it.Recipients {
		if err := mark(&it.Recipients[i]); err != nil {
			return err
		}
	}
	if employee == "" || d.Contacts == nil {
		return nil
	}
	contact := func(p *steward.Party) error {
		if p.EmployeeID != "" {
			return nil
		}
		c, err := d.Contacts.ContactByAddress(ctx, employee, it.Channel, p.Address)
		switch {
		case err == nil:
			p.ContactID = c.ID
		case !steward.Is(steward.NotFound, err):
			return err
		}
		return nil
	}
	if err := contact(&it.Sender); err != nil {
		return err
	}
	for i := range it.Recipients {
		if err := contact(&it.Recipients[i]); err != nil {
			return err
		}
	}
	return nil
}
