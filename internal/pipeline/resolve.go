package pipeline

import (
	"context"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// DirectoryResolver is the default IdentityHook: it marks each party whose
// address is a work identity with that identity's employee, and each party
// that is a known contact of that employee with the contact's id.
//
// Lookups are cached for TTL (default 2s), hits and misses alike: every
// capture asks about two or more addresses, and at tens of thousands of
// captures a second the store's round trips would dominate. Code in this
// process that changes identities or contacts calls Invalidate, so the TTL
// only bounds staleness from changes made by other processes.
type DirectoryResolver struct {
	Identities steward.IdentityStore
	Contacts   steward.ContactStore
	TTL        time.Duration
	// Also, if set, is called by Invalidate, for other caches of
	// directory data (policy's view of employees).
	Also func()

	mu    sync.Mutex
	gen   uint64
	cache map[string]dirEntry
}

type dirEntry struct {
	id      string // employee or contact id; "" for a cached miss
	expires time.Time
}

const dirCacheMax = 50_000

// Invalidate drops every cached lookup.
func (d *DirectoryResolver) Invalidate() {
	d.mu.Lock()
	d.cache = nil
	d.gen++
	d.mu.Unlock()
	if d.Also != nil {
		d.Also()
	}
}

// lookup returns the cached answer for key, or asks find and caches it.
func (d *DirectoryResolver) lookup(key string, find func() (string, error)) (string, error) {
	now := time.Now()
	d.mu.Lock()
	e, ok := d.cache[key]
	gen := d.gen
	d.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.id, nil
	}
	id, err := find()
	if err != nil {
		return "", err
	}
	ttl := d.TTL
	if ttl == 0 {
		ttl = 2 * time.Second
	}
	d.mu.Lock()
	if d.gen == gen { // an Invalidate during the lookup makes this answer suspect
		if d.cache == nil || len(d.cache) >= dirCacheMax {
			d.cache = make(map[string]dirEntry)
		}
		d.cache[key] = dirEntry{id: id, expires: now.Add(ttl)}
	}
	d.mu.Unlock()
	return id, nil
}

// Resolve fills Party.EmployeeID and Party.ContactID where known. Unknown
// addresses are not an error: outside parties are unknown until added.
func (d *DirectoryResolver) Resolve(ctx context.Context, it *steward.Item) error {
	employee := ""
	mark := func(p *steward.Party) error {
		emp, err := d.lookup("i\x00"+string(it.Channel)+"\x00"+p.Address, func() (string, error) {
			id, err := d.Identities.IdentityByAddress(ctx, it.Channel, p.Address)
			if steward.Is(steward.NotFound, err) {
				return "", nil
			}
			if err != nil {
				return "", err
			}
			return id.EmployeeID, nil
		})
		if err != nil {
			return err
		}
		p.EmployeeID = emp
		if employee == "" {
			employee = emp
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
		cid, err := d.lookup("c\x00"+employee+"\x00"+string(it.Channel)+"\x00"+p.Address, func() (string, error) {
			c, err := d.Contacts.ContactByAddress(ctx, employee, it.Channel, p.Address)
			if steward.Is(steward.NotFound, err) {
				return "", nil
			}
			if err != nil {
				return "", err
			}
			return c.ID, nil
		})
		p.ContactID = cid
		return err
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
