package policy

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// sampled reports whether the message with this key falls in a sample of
// percent per cent of messages. It depends on nothing but its arguments:
// the same message gets the same answer live, when re-evaluated and in a
// dry run, and any policy sampling at the same rate picks the same
// messages. Rates nest: the messages in a 1% sample are all in the 2%
// sample, so raising a rate only adds messages.
//
// The key is hashed with SHA-256 rather than a faster hash because sample
// keys are often sequential ids, and a weak mix of similar keys would
// sample in clumps.
func sampled(key string, percent float64) (bool, error) {
	switch {
	case math.IsNaN(percent) || percent < 0 || percent > 100:
		return false, fmt.Errorf("sample: the percentage must be between 0 and 100, not %v", percent)
	case key == "":
		// Sampling every keyless message the same way would skew the
		// sample; the error flags the message instead.
		return false, errors.New("sample: the message has no sample key")
	case percent == 0:
		return false, nil
	case percent == 100:
		return true, nil
	}
	sum := sha256.Sum256([]byte(key))
	// The top 53 bits as a fraction in [0, 1), exactly representable.
	u := float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
	return u*100 < percent, nil
}
