package foiasvc

import (
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/foia"
	"github.com/steward-gov/steward/internal/steward"
)

// maxClosuresText bounds the closures setting before it is split: an
// agency closes a handful of days a year.
const maxClosuresText = 64 << 10

// Calendar builds the agency's calendar from the text of the settings
// foia-time-zone (an IANA zone; empty means America/New_York),
// foia-closures (comma-separated YYYY-MM-DD=name, e.g.
// "2024-12-24=Executive Order 14137"; the name may be left out) and
// foia-cutoff (HH:MM, the time of day from which a receipt counts on the
// next working day; empty means 17:00, "off" turns the rule off). It is a
// parser of outside input. Returns Invalid naming the setting at fault,
// TooLarge for an overlong closures list.
func Calendar(zone, closures, cutoff string) (foia.Calendar, error) {
	const op steward.Op = "foiasvc.Calendar"
	c := foia.Config{Zone: strings.TrimSpace(zone)}
	switch cutoff = strings.TrimSpace(cutoff); cutoff {
	case "":
	case "off":
		c.Cutoff = 24 * time.Hour
	default:
		t, err := time.Parse("15:04", cutoff)
		if err != nil || len(cutoff) != 5 {
			return foia.Calendar{}, steward.E(op, steward.Invalid, "foia-cutoff: "+quote(cutoff)+" is not a time of day such as 17:00, or off")
		}
		c.Cutoff = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
		if c.Cutoff == 0 {
			// foia.Config reads 0 as the default; midnight means every
			// receipt rolls to the next working day, which no agency wants.
			return foia.Calendar{}, steward.E(op, steward.Invalid, "foia-cutoff: 00:00 would move every receipt to the next working day")
		}
	}
	if len(closures) > maxClosuresText {
		return foia.Calendar{}, steward.Errorf(op, steward.TooLarge, "foia-closures is longer than %d bytes", maxClosuresText)
	}
	for item := range strings.SplitSeq(closures, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		day, name, _ := strings.Cut(item, "=")
		day, name = strings.TrimSpace(day), strings.TrimSpace(name)
		c.Closures = append(c.Closures, foia.Closure{Date: day, Name: name})
	}
	cal, err := foia.NewCalendar(c)
	if err != nil {
		return foia.Calendar{}, steward.E(op, err)
	}
	return cal, nil
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "\"" + strings.ToValidUTF8(s, "?") + "\""
}
