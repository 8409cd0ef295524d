package policy

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// cel-go's timestamp accessors that take a time zone, such as
// now.getHours("America/New_York"), call time.LoadLocation on every
// evaluation, which reads and parses the zoneinfo file: tens of
// microseconds and a system call per policy per message, the largest cost
// of a business-hours rule. zoneOptions redefines those overloads, with
// the same signatures and results, over a cache of locations.
func zoneOptions() []cel.EnvOption {
	accessors := []struct {
		function, overload string
		get                func(time.Time) int
	}{
		{overloads.TimeGetFullYear, overloads.TimestampToYearWithTz, func(t time.Time) int { return t.Year() }},
		{overloads.TimeGetMonth, overloads.TimestampToMonthWithTz, func(t time.Time) int { return int(t.Month()) - 1 }},
		{overloads.TimeGetDayOfYear, overloads.TimestampToDayOfYearWithTz, func(t time.Time) int { return t.YearDay() - 1 }},
		{overloads.TimeGetDayOfMonth, overloads.TimestampToDayOfMonthZeroBasedWithTz, func(t time.Time) int { return t.Day() - 1 }},
		{overloads.TimeGetDate, overloads.TimestampToDayOfMonthOneBasedWithTz, func(t time.Time) int { return t.Day() }},
		{overloads.TimeGetDayOfWeek, overloads.TimestampToDayOfWeekWithTz, func(t time.Time) int { return int(t.Weekday()) }},
		{overloads.TimeGetHours, overloads.TimestampToHoursWithTz, func(t time.Time) int { return t.Hour() }},
		{overloads.TimeGetMinutes, overloads.TimestampToMinutesWithTz, func(t time.Time) int { return t.Minute() }},
		{overloads.TimeGetSeconds, overloads.TimestampToSecondsWithTz, func(t time.Time) int { return t.Second() }},
		{overloads.TimeGetMilliseconds, overloads.TimestampToMillisecondsWithTz, func(t time.Time) int { return t.Nanosecond() / 1e6 }},
	}
	opts := make([]cel.EnvOption, len(accessors))
	for i, a := range accessors {
		get := a.get
		opts[i] = cel.Function(a.function, cel.MemberOverload(a.overload,
			[]*cel.Type{cel.TimestampType, cel.StringType}, cel.IntType,
			cel.BinaryBinding(func(ts, tz ref.Val) ref.Val {
				t, ok := ts.(types.Timestamp)
				name, ok2 := tz.(types.String)
				if !ok || !ok2 {
					return types.NoSuchOverloadErr()
				}
				loc, err := zone(string(name))
				if err != nil {
					return types.WrapErr(err)
				}
				return types.Int(get(t.In(loc)))
			})))
	}
	return opts
}

// zones caches locations by the name a condition gave. Only names that
// resolved are kept, so the cache is bounded by the IANA database and the
// offsets -23:59 to +23:59.
var zones sync.Map

// zone resolves an IANA time zone name or a "+HH:MM" / "-HH:MM" offset the
// way cel-go does.
func zone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	var loc *time.Location
	if hh, mm, ok := strings.Cut(name, ":"); ok {
		hr, err := strconv.Atoi(hh)
		if err != nil {
			return nil, err
		}
		min, err := strconv.Atoi(mm)
		if err != nil {
			return nil, err
		}
		if hr < -23 || hr > 23 {
			return nil, fmt.Errorf("timezone offset hours out of range [-23, 23]: %s", name)
		}
		if min < 0 || min > 59 {
			return nil, fmt.Errorf("timezone offset minutes out of range [0, 59]: %s", name)
		}
		offset := hr*60 + min
		if strings.HasPrefix(name, "-") {
			offset = hr*60 - min
		}
		loc = time.FixedZone("", offset*60)
	} else {
		var err error
		if loc, err = time.LoadLocation(name); err != nil {
			return nil, err
		}
	}
	zones.Store(name, loc)
	return loc, nil
}
