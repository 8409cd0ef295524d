package httpapi

import (
	"errors"
	"net/http"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

// Every error kind has a status in the one table the API and the inbox
// share, and the few that callers rely on map as documented.
func TestStatusTable(t *testing.T) {
	for k := steward.Other; k <= steward.Integrity; k++ {
		if _, ok := statusOf[k]; !ok {
			t.Errorf("kind %v has no status", k)
		}
	}
	cases := map[error]int{
		steward.E(steward.ConsentRequired, "x"): http.StatusConflict,
		steward.E(steward.Gone, "x"):            http.StatusGone,
		steward.E(steward.Unavailable, "x"):     http.StatusServiceUnavailable,
		errors.New("raw"):                       http.StatusInternalServerError,
	}
	for err, want := range cases {
		if got := StatusOf(err); got != want {
			t.Errorf("StatusOf(%v) = %d, want %d", err, got, want)
		}
	}
}
