// Package fra builds the Federal Records Act capture-lag report: for every
// message in the archive, how long it took from the channel's sent time to
// capture, per channel and mode, with every message over the 44 U.S.C.
// 2911 limit (20 days) named by record id. The report is signed with the
// log's key as a C2SP signed note, so that it can be handed to an auditor
// and checked offline against the log's public key.
//
// The lag arithmetic and the percentiles are records.Lag and
// records.SummarizeLag; this package reads the log, decides each
// message's mode, and gives the summary its one canonical text.
//
// # Mode
//
// A message is "linked" when Steward saw it only after the fact, and
// "governed" when Steward carried it:
//
//   - linked when its sender or any recipient is a work identity in linked
//     mode (the employee's own account, with Steward as a linked device),
//     or when it is outbound or internal and its channel id does not start
//     with "steward:" (an employee sent it from the native app, not
//     through Steward);
//   - governed otherwise: inbound to a governed number, or sent by Steward.
//
// The identity's mode is read from the directory when the report runs:
// records do not carry it. An identity switched between modes therefore
// reports its older messages under its current mode.
package fra

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// Log is what the report reads of the archive log.
type Log interface {
	ScanRecords(ctx context.Context, from int64, fn func(*steward.Record) error) error
}

// Identities finds work identities by address. steward.IdentityStore
// implements it.
type Identities interface {
	IdentityByAddress(ctx context.Context, ch steward.Channel, address string) (*steward.Identity, error)
}

// Report is the capture-lag report over the first TreeSize records of the
// log: the tree of one signed checkpoint, whose root it names so that the
// report can be tied to the log it describes.
type Report struct {
	GeneratedAt time.Time
	Threshold   time.Duration
	TreeSize    int64
	Root        steward.Hash
	// Groups are the summaries per channel and mode, ordered by channel
	// then mode (records.SummarizeLag).
	Groups []records.LagSummary
	// Note is the signed note whose text is Encode(report); set by Sign
	// and by Open.
	Note []byte
}

// Messages is the number of message records the report covers.
func (r *Report) Messages() int {
	n := 0
	for _, g := range r.Groups {
		n += g.Count + g.Unknown
	}
	return n
}

// OverThreshold is the number of messages captured later than the
// threshold allows.
func (r *Report) OverThreshold() int {
	n := 0
	for _, g := range r.Groups {
		n += len(g.Over)
	}
	return n
}

// Build scans the log's records [0, cp.Size) and summarises the lag of
// every message record: RecordMeta.SentAt against Record.CapturedAt. A
// threshold of 0 or less means records.DefaultFRAThreshold (20 days).
// progress, if set, is called with the records scanned so far.
//
// Build reads metadata only, never content, so it is not a read to audit.
// Errors: those of the log and of the identity store; Integrity for a
// record whose metadata is not JSON.
func Build(ctx context.Context, log Log, ids Identities, cp *steward.Checkpoint, threshold time.Duration, now time.Time, progress func(done, total int64)) (*Report, error) {
	const op steward.Op = "fra.Build"
	if threshold <= 0 {
		threshold = records.DefaultFRAThreshold
	}
	rep := &Report{GeneratedAt: now.UTC(), Threshold: threshold}
	if cp != nil {
		rep.TreeSize, rep.Root = cp.Size, cp.Root
	}
	if rep.TreeSize == 0 {
		rep.Groups = records.SummarizeLag(nil, threshold)
		return rep, nil
	}
	c := classifier{ctx: ctx, ids: ids, modes: map[string]steward.IdentityMode{}}
	var samples []records.LagSample
	errEnd := errors.New("end of the checkpoint's tree")
	err := log.ScanRecords(ctx, 0, func(r *steward.Record) error {
		if r.LeafIndex >= rep.TreeSize {
			return errEnd
		}
		if progress != nil && (r.LeafIndex+1)%4096 == 0 {
			progress(r.LeafIndex+1, rep.TreeSize)
		}
		if r.Kind != steward.RecordMessage {
			return nil
		}
		var meta steward.RecordMeta
		if err := json.Unmarshal(r.Meta, &meta); err != nil {
			return steward.Errorf(op, steward.Integrity, "record %s: metadata is not JSON: %v", r.ID, err)
		}
		mode, err := c.mode(&meta)
		if err != nil {
			return err
		}
		ch := steward.Channel(meta.Channel)
		if ch == "" {
			ch = "unknown" // the signed text has no empty fields
		}
		s := records.LagSample{Channel: ch, Mode: mode, CapturedAt: r.CapturedAt}
		if meta.SentAt != nil {
			s.SentAt = *meta.SentAt
		}
		// Only the messages over the threshold are listed by id; keeping
		// the others' ids would double the memory of a long scan.
		if !s.SentAt.IsZero() && records.Lag(s.SentAt, s.CapturedAt) > threshold {
			s.RecordID = r.ID
		}
		samples = append(samples, s)
		return nil
	})
	if err != nil && !errors.Is(err, errEnd) {
		return nil, steward.E(op, err)
	}
	if progress != nil {
		progress(rep.TreeSize, rep.TreeSize)
	}
	rep.Groups = records.SummarizeLag(samples, threshold)
	return rep, nil
}

// Mode decides a message's mode from its metadata and whether an address
// is a linked work identity on the message's channel; see the package
// documentation for the rule.
func Mode(meta *steward.RecordMeta, linked func(address string) bool) steward.IdentityMode {
	if linked(meta.Sender) {
		return steward.IdentityLinked
	}
	for _, a := range meta.Recipients {
		if linked(a) {
			return steward.IdentityLinked
		}
	}
	if meta.Direction != steward.DirInbound && !strings.HasPrefix(meta.ChannelID, "steward:") {
		return steward.IdentityLinked
	}
	return steward.IdentityGoverned
}

// classifier caches identity modes by channel and address: a log holds
// millions of messages between a few thousand addresses.
type classifier struct {
	ctx   context.Context
	ids   Identities
	modes map[string]steward.IdentityMode // "" for an address that is no work identity
	err   error
}

func (c *classifier) mode(meta *steward.RecordMeta) (steward.IdentityMode, error) {
	m := Mode(meta, func(addr string) bool { return c.lookup(steward.Channel(meta.Channel), addr) == steward.IdentityLinked })
	return m, c.err
}

func (c *classifier) lookup(ch steward.Channel, addr string) steward.IdentityMode {
	if addr == "" || c.err != nil {
		return ""
	}
	key := string(ch) + "\x00" + addr
	if m, ok := c.modes[key]; ok {
		return m
	}
	id, err := c.ids.IdentityByAddress(c.ctx, ch, addr)
	var m steward.IdentityMode
	switch {
	case err == nil:
		m = id.Mode
	case !steward.Is(steward.NotFound, err):
		c.err = err
		return ""
	}
	c.modes[key] = m
	return m
}

// ParseThreshold reads a threshold as people write it: whole days
// ("20d"), a Go duration ("36h"), or both ("1d12h"). It must be positive
// and at most 100 years; Invalid otherwise.
func ParseThreshold(s string) (time.Duration, error) {
	const op steward.Op = "fra.ParseThreshold"
	bad := steward.Errorf(op, steward.Invalid, "threshold %q is not a positive duration such as 20d, 36h or 1d12h", s)
	var d time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 36500 || strings.ContainsAny(s[:i], "+-") {
			return 0, bad
		}
		d, rest = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, bad
		}
		d += r
	}
	if d <= 0 || d > 36500*24*time.Hour {
		return 0, bad
	}
	return d, nil
}
