package signal

import (
	"context"

	"github.com/steward-gov/steward/internal/steward"
)

// ListAccounts returns the numbers of the accounts the daemon holds. The
// capture-health monitor compares them with the work identities that
// should be live: an account missing here is captured by no one.
func (c *Client) ListAccounts(ctx context.Context) ([]string, error) {
	const op steward.Op = "signal.ListAccounts"
	var rs []struct {
		Number string `json:"number"`
	}
	if err := c.Call(ctx, "listAccounts", nil, &rs); err != nil {
		return nil, steward.E(op, err)
	}
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if r.Number != "" {
			out = append(out, r.Number)
		}
	}
	return out, nil
}
