//go:build race

package api

// raceEnabled: the race detector changes allocation counts (sync.Pool
// drops items at random), so the allocation guards skip under it.
const raceEnabled = true
