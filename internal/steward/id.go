package steward

import "github.com/google/uuid"

// NewID returns a new time-ordered identifier (UUIDv7 text). Time order
// keeps index inserts local, which matters at tens of thousands of
// captures a second.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}
