package pipeline

import (
	"bytes"
	"io"
	"strconv"
	"sync"

	"github.com/steward-gov/steward/internal/steward"
)

// convCache remembers conversations already ensured, so the hot path does
// not ask the store for every message. Conversations are never deleted, so
// entries never go stale; the cache is bounded by clearing when full.
type convCache struct {
	mu sync.RWMutex
	m  map[string]*steward.Conversation
}

const convCacheMax = 100_000

func (c *convCache) get(ch steward.Channel, key string) (*steward.Conversation, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[string(ch)+"\x00"+key]
	return v, ok
}

func (c *convCache) put(conv *steward.Conversation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= convCacheMax {
		c.m = make(map[string]*steward.Conversation)
	}
	c.m[string(conv.Channel)+"\x00"+conv.Key] = conv
}

func itoa(i int) string { return strconv.Itoa(i) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
