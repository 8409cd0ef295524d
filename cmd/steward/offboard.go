package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/scim"
	"github.com/steward-gov/steward/internal/steward"
)

// offboarder applies identity-provider changes that must take effect at
// once. It runs synchronously inside the SCIM request that deactivates or
// deletes someone, so by the time the identity provider gets its answer:
// the employee's tokens are revoked, their inbox sessions are gone, and
// their work identities are suspended (they stop sending; what is sent to
// them is still captured). Reactivation restores the identities it
// suspended and nothing else: tokens stay revoked and must be issued anew.
type offboarder struct {
	app    *app
	logger *slog.Logger
	// sessions, if set, ends every web session of an employee.
	sessions func(ctx context.Context, employeeID string) error
	// groups changes group admins on a channel, for the handover.
	groups map[steward.Channel]steward.GroupManager
}

// change is the SCIM server's OnChange hook.
func (o *offboarder) change(ctx context.Context, ev scim.Change) {
	switch ev.Kind {
	case scim.UserDeactivated, scim.UserDeleted:
		o.offboard(ctx, ev.EmployeeID, string(ev.Kind))
	case scim.UserReactivated:
		o.reactivate(ctx, ev.EmployeeID)
	}
	// Attributes (department, seniority, manager) are read fresh on the
	// next message: the directory cache is the only copy to drop.
	o.app.directory.Invalidate()
}

func (o *offboarder) offboard(ctx context.Context, employeeID, why string) {
	start := time.Now()
	ctx = context.WithoutCancel(ctx)
	var revoked []string
	if ts, err := o.app.db.Tokens(ctx); err != nil {
		o.logger.Error("offboarding: cannot list tokens", "employee", employeeID, "err", err)
	} else {
		for _, t := range ts {
			if t.EmployeeID == employeeID && t.RevokedAt == nil {
				if err := o.app.db.RevokeToken(ctx, t.ID, start); err != nil {
					o.logger.Error("offboarding: token not revoked", "token", t.ID, "err", err)
					continue
				}
				revoked = append(revoked, t.ID)
			}
		}
	}
	if o.sessions != nil {
		if err := o.sessions(ctx, employeeID); err != nil {
			o.logger.Error("offboarding: sessions not ended", "employee", employeeID, "err", err)
		}
	}
	var suspended []string
	handed, removed := o.handOver(ctx, employeeID)
	if ids, err := o.app.db.IdentitiesByEmployee(ctx, employeeID); err == nil {
		for _, id := range ids {
			if id.Status == steward.IdentityActive {
				id.Status, id.UpdatedAt = steward.IdentitySuspended, start.UTC()
				if err := o.app.db.UpdateIdentity(ctx, id); err != nil {
					o.logger.Error("offboarding: identity not suspended", "identity", id.ID, "err", err)
					continue
				}
				suspended = append(suspended, id.ID)
			}
		}
	}
	took := time.Since(start)
	o.logger.Info("offboarded", "employee", employeeID, "reason", why, "tokens", len(revoked), "identities", len(suspended), "took", took)
	if _, err := o.app.pipeline.Audit(ctx, pipeline.AuditEntry{Actor: "scim", Action: "employee.offboard", Subject: employeeID,
		Details: map[string]any{"reason": why, "tokens_revoked": revoked, "identities_suspended": suspended,
			"groups_handed_over": handed, "groups_left": removed, "took_ms": took.Milliseconds()}}); err != nil {
		o.logger.Error("offboarding: audit failed", "employee", employeeID, "err", err)
	}
}

func (o *offboarder) reactivate(ctx context.Context, employeeID string) {
	ctx = context.WithoutCancel(ctx)
	var restored []string
	if ids, err := o.app.db.IdentitiesByEmployee(ctx, employeeID); err == nil {
		for _, id := range ids {
			if id.Status == steward.IdentitySuspended {
				id.Status, id.UpdatedAt = steward.IdentityActive, time.Now().UTC()
				if err := o.app.db.UpdateIdentity(ctx, id); err == nil {
					restored = append(restored, id.ID)
				}
			}
		}
	}
	if _, err := o.app.pipeline.Audit(ctx, pipeline.AuditEntry{Actor: "scim", Action: "employee.reactivate", Subject: employeeID,
		Details: map[string]any{"identities_restored": restored}}); err != nil {
		o.logger.Error("reactivation: audit failed", "employee", employeeID, "err", err)
	}
}

// handOver passes the departed employee's admin rights in every group to
// their successor (configured, else their manager), and takes the
// departed out of every group a Steward identity administers: while the
// departed's number is still held, it adds the successor's work identity
// on that channel to the group and makes it an admin; then that admin (or
// any other active Steward admin of the group) removes the departed. Each
// change is archived as a membership event. It returns the conversation
// ids handed over and those the departed was removed from; failures are
// logged, never block the rest of offboarding.
func (o *offboarder) handOver(ctx context.Context, employeeID string) (handed, removed []string) {
	emp, err := o.app.db.EmployeeByID(ctx, employeeID)
	if err != nil {
		return nil, nil
	}
	successorID, err := steward.SuccessorID(ctx, o.app.db, emp)
	if err != nil {
		successorID = ""
	}
	mine, err := o.app.db.IdentitiesByEmployee(ctx, employeeID)
	if err != nil {
		return nil, nil
	}
	var theirs []*steward.Identity
	if successorID != "" {
		if theirs, err = o.app.db.IdentitiesByEmployee(ctx, successorID); err != nil {
			theirs = nil
		}
	}
	for _, id := range mine {
		gm := o.groups[id.Channel]
		if gm == nil || id.Status != steward.IdentityActive {
			continue
		}
		succ := ""
		for _, t := range theirs {
			if t.Channel == id.Channel && t.Status == steward.IdentityActive {
				succ = t.Address
			}
		}
		convs, err := o.app.db.ConversationsOf(ctx, id.Channel, []string{id.Address})
		if err != nil {
			o.logger.Error("offboarding: groups not listed", "identity", id.ID, "err", err)
			continue
		}
		for _, c := range convs {
			if c.Kind != steward.ConversationGroup {
				continue
			}
			gid := strings.TrimPrefix(c.Key, "group:")
			remover := ""
			if isAdmin(c.Members, id.Address) && succ != "" {
				if err := gm.UpdateGroup(ctx, id.Address, gid, []string{succ}, nil, []string{succ}); err != nil {
					o.logger.Error("offboarding: group admin not handed over", "conversation", c.ID, "err", err)
				} else {
					o.archiveMembership(ctx, c.ID, gid, id, steward.Party{Address: id.Address, EmployeeID: employeeID},
						[]steward.Party{{Address: succ, EmployeeID: successorID}}, nil)
					if err := o.app.db.AddMembers(ctx, c.ID, []steward.Member{{Address: succ, Admin: true, AddedAt: time.Now().UTC()}}); err != nil {
						o.logger.Error("offboarding: handover not stored", "conversation", c.ID, "err", err)
					}
					handed = append(handed, c.ID)
					remover = succ
				}
			}
			if remover == "" {
				remover = o.stewardAdmin(ctx, id, c.Members)
			}
			if remover == "" {
				continue // no Steward admin: the group's own admins must remove them
			}
			if err := gm.UpdateGroup(ctx, remover, gid, nil, []string{id.Address}, nil); err != nil {
				o.logger.Error("offboarding: departed member not removed", "conversation", c.ID, "err", err)
				continue
			}
			var by steward.Party
			if rid, err := o.app.db.IdentityByAddress(ctx, id.Channel, remover); err == nil {
				by = steward.Party{Address: remover, EmployeeID: rid.EmployeeID}
			}
			o.archiveMembership(ctx, c.ID, gid, id, by, nil, []steward.Party{{Address: id.Address, EmployeeID: employeeID}})
			removed = append(removed, c.ID)
		}
	}
	return handed, removed
}

// stewardAdmin returns the address of an active work identity, other than
// the departed's, that administers the group; "" if none.
func (o *offboarder) stewardAdmin(ctx context.Context, departed *steward.Identity, ms []steward.Member) string {
	for _, m := range ms {
		if !m.Admin || m.Address == departed.Address {
			continue
		}
		if id, err := o.app.db.IdentityByAddress(ctx, departed.Channel, m.Address); err == nil &&
			id.Status == steward.IdentityActive && id.EmployeeID != departed.EmployeeID {
			return m.Address
		}
	}
	return ""
}

// archiveMembership captures a membership change made during offboarding.
func (o *offboarder) archiveMembership(ctx context.Context, convID, gid string, id *steward.Identity, by steward.Party, added, gone []steward.Party) {
	it := &steward.Item{Type: steward.EventMembership, Channel: id.Channel, Direction: steward.DirOutbound,
		ChannelMessageID: "steward:" + steward.NewID(), Sender: by,
		Conversation: steward.ConversationRef{ID: gid, Kind: steward.ConversationGroup},
		MembersAdded: added, MembersRemoved: gone, SentAt: time.Now().UTC(),
		Extra: map[string]any{"reason": "offboarding"}}
	if _, err := o.app.pipeline.Capture(ctx, it); err != nil {
		o.logger.Error("offboarding: group change not archived", "conversation", convID, "err", err)
	}
}

func isAdmin(ms []steward.Member, address string) bool {
	for _, m := range ms {
		if m.Address == address {
			return m.Admin
		}
	}
	return false
}
