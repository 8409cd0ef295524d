package compliance

import (
	"context"

	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/steward"
)

// DefaultLexicons are the starter lexicons the default policies name. They
// are deliberately short and phrase-based: single words such as "kill"
// flood a queue with "kill the process". Agencies extend them with their
// own terms (PUT /api/v1/dlp/detectors/{id}); docs/policy.md explains how
// to measure what a change does with a dry run first.
func DefaultLexicons() []*steward.CustomDetector {
	lex := func(name string, confidence float64, terms ...string) *steward.CustomDetector {
		return &steward.CustomDetector{Name: name, Kind: steward.DetectorLexicon, Keywords: terms,
			Confidence: confidence, Enabled: true}
	}
	return []*steward.CustomDetector{
		lex(policy.LexiconHarassment, 0.7,
			"you people", "shut up", "you are worthless", "you're worthless", "go back to where you came from",
			`"you are" w/3 stupid`, `"you're" w/3 useless`, `"sleep with" w/4 promotion`, "or else you're fired",
			"nobody wants you here"),
		lex(policy.LexiconThreats, 0.8,
			"i will hurt you", "i'll hurt you", "you will regret", "watch your back", "i know where you live",
			`kill w/3 you`, `"blow up" w/4 office`, "you'll pay for this", "bring a gun"),
		lex(policy.LexiconConflictOfInterest, 0.6,
			"keep this between us", "off the books", "under the table", "finder's fee", "kickback",
			`gift w/5 contract`, `"side job" w/5 vendor`, "delete this message", "don't put this in writing",
			`cash w/4 award`, `consulting w/5 "after I leave"`),
	}
}

// installDefaultLexicons saves the default lexicons that do not exist yet.
func (s *Service) installDefaultLexicons(ctx context.Context, actor string) (int, error) {
	have, err := s.Store.Detectors(ctx)
	if err != nil {
		return 0, err
	}
	names := map[string]bool{}
	for _, d := range have {
		names[d.Name] = true
	}
	n := 0
	for _, d := range DefaultLexicons() {
		if names[d.Name] {
			continue
		}
		if _, err := s.SaveDetector(ctx, actor, d); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
