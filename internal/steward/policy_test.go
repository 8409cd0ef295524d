package steward

import "testing"

func TestMask(t *testing.T) {
	for _, tc := range []struct {
		text  string
		spans []Span
		want  string
	}{
		{"my ssn is 123-45-6789 ok", []Span{{Start: 10, End: 21}}, "my ssn is [REDACTED] ok"},
		{"abcdef", []Span{{Start: 1, End: 3}, {Start: 2, End: 4}}, "a[REDACTED]ef"},
		{"abcdef", []Span{{Start: 4, End: 5}, {Start: 0, End: 1}}, "[REDACTED]bcd[REDACTED]f"},
		{"abcdef", []Span{{Start: 1, End: 2}, {Start: 2, End: 3}}, "a[REDACTED]def"},
		{"abc", []Span{{Start: -4, End: 99}}, "[REDACTED]"},
		{"abc", []Span{{Start: 2, End: 2}}, "abc"},
		{"abc", nil, "abc"},
	} {
		if got := Mask(tc.text, tc.spans); got != tc.want {
			t.Errorf("Mask(%q, %v) = %q, want %q", tc.text, tc.spans, got, tc.want)
		}
	}
	c := &Content{Body: "card 4111 1111 1111 1111", Policy: &PolicyOutcome{Redact: []Span{{Start: 5, End: 24}}}}
	if got := c.DeliveredBody(); got != "card [REDACTED]" {
		t.Errorf("DeliveredBody = %q", got)
	}
}

func TestActionRank(t *testing.T) {
	order := PolicyActions()
	for i := 1; i < len(order); i++ {
		if order[i].Rank() <= order[i-1].Rank() {
			t.Fatalf("%s does not outrank %s", order[i], order[i-1])
		}
	}
	if ActionBlock.Rank() <= ActionQuarantine.Rank() || PolicyAction("nope").Rank() >= 0 {
		t.Fatal("precedence broken")
	}
}
