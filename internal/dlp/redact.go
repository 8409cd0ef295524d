package dlp

import "github.com/steward-gov/steward/internal/steward"

// Mask is what Redact puts in place of each masked span.
const Mask = steward.RedactionMark

// Redact returns text with the union of the findings' spans masked: spans
// that overlap or touch are merged into one, and each merged span is
// replaced by one Mask, whatever its length, so the result does not tell
// how long the value was or how many findings covered it. Spans are
// clamped to the text; empty ones are ignored. The findings may be in any
// order and from any detectors: callers choose which to pass (a policy's
// Redact list, say). It is steward.Mask over the findings' spans, the
// same masking the outbox applies to a redacted message.
func Redact(text string, findings []Finding) string {
	spans := make([]steward.Span, 0, len(findings))
	for _, f := range findings {
		spans = append(spans, steward.Span{Start: f.Start, End: f.End, Detector: f.Detector})
	}
	return steward.Mask(text, spans)
}
