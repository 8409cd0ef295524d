package policy

import (
	"fmt"
	"testing"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
)

// TestZonesMatchCEL checks the cached time-zone accessors against
// cel-go's own, for every accessor, named zones and offsets, around a
// daylight-saving change and a year end.
func TestZonesMatchCEL(t *testing.T) {
	stock, err := cel.NewEnv(cel.Variable("now", cel.TimestampType))
	if err != nil {
		t.Fatal(err)
	}
	es, err := envs()
	if err != nil {
		t.Fatal(err)
	}
	ours := es["message"]
	times := []time.Time{
		time.Date(2026, 3, 8, 6, 59, 59, 999_000_000, time.UTC), // just before US DST starts
		time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 30, 15, 123_000_000, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC),
	}
	accessors := []string{"getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate",
		"getDayOfWeek", "getHours", "getMinutes", "getSeconds", "getMilliseconds"}
	zonesToTry := []string{"America/New_York", "Asia/Kolkata", "Pacific/Chatham", "UTC", "+05:30", "-08:45", "-00:30", "+14:00"}
	for _, acc := range accessors {
		for _, tz := range zonesToTry {
			expr := fmt.Sprintf("now.%s(%q)", acc, tz)
			for _, at := range times {
				want := eval(t, stock, expr, at)
				got := eval(t, ours, expr, at)
				if got != want {
					t.Errorf("%s at %s: got %v, cel-go says %v", expr, at, got, want)
				}
			}
		}
	}
	for _, tz := range zonesToTry {
		if _, ok := zones.Load(tz); !ok {
			t.Errorf("%s: the accessors did not go through the zone cache", tz)
		}
	}
	// Errors stay errors.
	for _, tz := range []string{"Mars/Olympus_Mons", "+24:00", "+05:60", "x:y"} {
		expr := fmt.Sprintf("now.getHours(%q)", tz)
		if got := eval(t, ours, expr, times[0]); got != "error" {
			t.Errorf("%s = %v, want an error", expr, got)
		}
	}
}

func eval(t *testing.T, env *cel.Env, expr string, at time.Time) any {
	t.Helper()
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	prg, err := env.Program(checked)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := prg.Eval(map[string]any{"now": types.Timestamp{Time: at}})
	if err != nil {
		return "error"
	}
	return out.Value()
}
