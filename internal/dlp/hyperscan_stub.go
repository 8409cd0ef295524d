//go:build !hyperscan

package dlp

import "github.com/steward-gov/steward/internal/steward"

// HyperscanBuilt reports whether this binary was built with -tags
// hyperscan, and so whether NewHyperscan can work.
const HyperscanBuilt = false

// Hyperscan stands in for the Hyperscan engine of builds with -tags
// hyperscan (cgo and libhyperscan), which `steward bench dlp` compares
// scans with.
type Hyperscan struct{}

// NewHyperscan returns Unavailable: this binary was built without
// Hyperscan.
func NewHyperscan(patterns []string) (*Hyperscan, error) {
	return nil, steward.E(steward.Op("dlp.NewHyperscan"), steward.Unavailable,
		"Hyperscan was not built in: build with -tags hyperscan (needs cgo and libhyperscan-dev)")
}

// Count is never reached: NewHyperscan fails.
func (h *Hyperscan) Count(text []byte) (int, error) { return 0, nil }

// Close does nothing.
func (h *Hyperscan) Close() error { return nil }
