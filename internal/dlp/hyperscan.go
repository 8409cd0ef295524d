//go:build hyperscan

package dlp

import (
	"github.com/flier/gohs/hyperscan"

	"github.com/steward-gov/steward/internal/steward"
)

// HyperscanBuilt reports whether this binary was built with -tags
// hyperscan, and so whether NewHyperscan can work.
const HyperscanBuilt = true

// Hyperscan is a Hyperscan block-mode database of regular expressions
// with its scratch space: the engine `steward bench dlp` compares scans
// with. Steward does not scan with it. Not safe for concurrent use.
type Hyperscan struct {
	db      hyperscan.BlockDatabase
	scratch *hyperscan.Scratch
}

// NewHyperscan compiles patterns, each with its index as id. Go's RE2
// syntax of the built-in patterns (see Patterns) is also Hyperscan's.
// Invalid when Hyperscan rejects a pattern.
func NewHyperscan(patterns []string) (*Hyperscan, error) {
	const op steward.Op = "dlp.NewHyperscan"
	ps := make([]*hyperscan.Pattern, len(patterns))
	for i, p := range patterns {
		ps[i] = hyperscan.NewPattern(p, 0)
		ps[i].Id = i
	}
	db, err := hyperscan.NewBlockDatabase(ps...)
	if err != nil {
		return nil, steward.E(op, steward.Invalid, err)
	}
	scratch, err := hyperscan.NewScratch(db)
	if err != nil {
		db.Close()
		return nil, steward.E(op, steward.Internal, err)
	}
	return &Hyperscan{db: db, scratch: scratch}, nil
}

// Count scans text and returns how many matches Hyperscan reported: it
// reports the end of every match of every pattern, overlapping or not, so
// counts are not comparable with other engines' match counts.
func (h *Hyperscan) Count(text []byte) (int, error) {
	const op steward.Op = "dlp.Hyperscan.Count"
	if len(text) == 0 {
		return 0, nil
	}
	n := 0
	err := h.db.Scan(text, h.scratch, func(id uint, from, to uint64, flags uint, _ any) error {
		n++
		return nil
	}, nil)
	if err != nil {
		return n, steward.E(op, steward.Internal, err)
	}
	return n, nil
}

// Close frees the database and its scratch space.
func (h *Hyperscan) Close() error {
	err := h.scratch.Free()
	if cerr := h.db.Close(); err == nil {
		err = cerr
	}
	return err
}
