package metrics

import (
	"sync"
	"sync/atomic"
)

// table is a map from series keys to series that readers use without a
// lock: the map is replaced (copied with one more entry) when a key first
// appears, which happens a bounded number of times.
type table[K comparable, V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[K]*V]
}

// get returns the series of k, creating it (and calling init on it, when not
// nil) the first time.
func (t *table[K, V]) get(k K, init func(*V)) *V {
	if m := t.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.load()
	if v, ok := old[k]; ok {
		return v
	}
	v := new(V)
	if init != nil {
		init(v)
	}
	t.store(old, k, v)
	return v
}

// has reports whether k has a series.
func (t *table[K, V]) has(k K) bool {
	if m := t.m.Load(); m != nil {
		_, ok := (*m)[k]
		return ok
	}
	return false
}

// addBounded adds k unless the table already holds limit keys; it reports
// whether k is in the table afterwards.
func (t *table[K, V]) addBounded(k K, limit int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.load()
	if _, ok := old[k]; ok {
		return true
	}
	if len(old) >= limit {
		return false
	}
	t.store(old, k, new(V))
	return true
}

// load returns the current map (nil before the first key). Read-only.
func (t *table[K, V]) load() map[K]*V {
	if m := t.m.Load(); m != nil {
		return *m
	}
	return nil
}

// store publishes a copy of old with k added. Callers hold t.mu.
func (t *table[K, V]) store(old map[K]*V, k K, v *V) {
	m := make(map[K]*V, len(old)+1)
	for kk, vv := range old {
		m[kk] = vv
	}
	m[k] = v
	t.m.Store(&m)
}
