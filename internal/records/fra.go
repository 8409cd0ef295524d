package records

import (
	"cmp"
	"slices"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// DefaultFRAThreshold is the 44 U.S.C. 2911 limit: a complete copy of a
// message sent from a non-official account must reach an official
// account within 20 days.
const DefaultFRAThreshold = 20 * 24 * time.Hour

// Lag is how long a message took to reach the archive: the captured time
// less the channel's sent time. It is negative when the sender's clock
// runs ahead of ours.
func Lag(sentAt, capturedAt time.Time) time.Duration { return capturedAt.Sub(sentAt) }

// LagSample is one message's times, as the FRA report reads them from the
// record metadata.
type LagSample struct {
	RecordID   string
	Channel    steward.Channel
	Mode       steward.IdentityMode // governed or linked
	SentAt     time.Time            // zero when the channel gave none
	CapturedAt time.Time
}

// LagOver is a message captured later than the threshold allows.
type LagOver struct {
	RecordID string        `json:"record_id"`
	Lag      time.Duration `json:"lag"`
}

// LagSummary is the lag distribution of one channel and mode.
// Percentiles are nearest-rank over the messages with a sent time.
type LagSummary struct {
	Channel steward.Channel      `json:"channel"`
	Mode    steward.IdentityMode `json:"mode"`
	Count   int                  `json:"count"` // messages with a sent time
	// Unknown counts messages without a sent time: their lag, hence
	// their compliance, cannot be shown.
	Unknown int `json:"unknown"`
	// Skewed counts negative lags (sender clock ahead); they are in the
	// distribution as they are.
	Skewed int           `json:"skewed"`
	P50    time.Duration `json:"p50"`
	P90    time.Duration `json:"p90"`
	P99    time.Duration `json:"p99"`
	Max    time.Duration `json:"max"`
	// Over lists every message whose lag exceeds the threshold, longest
	// first (ties by record id).
	Over []LagOver `json:"over,omitempty"`
}

// SummarizeLag groups samples by channel and mode and summarises each
// group, ordered by channel then mode. A lag over threshold (strictly
// greater) is listed in Over; threshold 0 or less means
// DefaultFRAThreshold.
func SummarizeLag(samples []LagSample, threshold time.Duration) []LagSummary {
	if threshold <= 0 {
		threshold = DefaultFRAThreshold
	}
	type key struct {
		ch   steward.Channel
		mode steward.IdentityMode
	}
	groups := make(map[key][]LagSample)
	for _, s := range samples {
		k := key{s.Channel, s.Mode}
		groups[k] = append(groups[k], s)
	}
	out := make([]LagSummary, 0, len(groups))
	for k, g := range groups {
		sum := LagSummary{Channel: k.ch, Mode: k.mode}
		lags := make([]time.Duration, 0, len(g))
		for _, s := range g {
			if s.SentAt.IsZero() {
				sum.Unknown++
				continue
			}
			l := Lag(s.SentAt, s.CapturedAt)
			lags = append(lags, l)
			if l < 0 {
				sum.Skewed++
			}
			if l > threshold {
				sum.Over = append(sum.Over, LagOver{RecordID: s.RecordID, Lag: l})
			}
		}
		slices.Sort(lags)
		sum.Count = len(lags)
		if len(lags) > 0 {
			sum.P50, sum.P90, sum.P99 = nearestRank(lags, 50), nearestRank(lags, 90), nearestRank(lags, 99)
			sum.Max = lags[len(lags)-1]
		}
		slices.SortFunc(sum.Over, func(a, b LagOver) int {
			return cmp.Or(cmp.Compare(b.Lag, a.Lag), cmp.Compare(a.RecordID, b.RecordID))
		})
		out = append(out, sum)
	}
	slices.SortFunc(out, func(a, b LagSummary) int {
		return cmp.Or(cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Mode, b.Mode))
	})
	return out
}

// nearestRank returns the p-th percentile of sorted (non-empty) by the
// nearest-rank method: the smallest value with at least p% of the values
// at or below it.
func nearestRank(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(rank, 1)-1]
}
