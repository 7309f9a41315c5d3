package catalog

import (
	"strconv"
	"sync"

	"github.com/tongban/tongban/internal/db"
)

// versionCache keeps decoded published versions. It can never be stale: a
// published version is immutable (a database trigger refuses changes), so
// only its decoding is saved. Callers share the cached *Item and must not
// change it. Bounded: when full, an arbitrary entry makes room.
type versionCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]Version
}

func newVersionCache(max int) *versionCache {
	return &versionCache{max: max, m: map[string]Version{}}
}

func cacheKey(implCode string, version int) string { return implCode + "@" + strconv.Itoa(version) }

func (vc *versionCache) get(implCode string, version int) (Version, bool) {
	vc.mu.RLock()
	defer vc.mu.RUnlock()
	v, ok := vc.m[cacheKey(implCode, version)]
	return v, ok
}

func (vc *versionCache) put(implCode string, version int, v Version) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if len(vc.m) >= vc.max {
		for k := range vc.m {
			delete(vc.m, k)
			break
		}
	}
	v.Current, v.DepartmentName, v.DepartmentNameEN = false, "", "" // per call, not per version
	vc.m[cacheKey(implCode, version)] = v
}

// ItemAt returns the content of an exact published version for readers that
// never change it (the case engine, which files and acts under a version):
// from the cache when it is there, without touching the database.
// It reads through the caller's transaction, so a caller inside one never
// waits for a second connection.
func (c *Catalog) ItemAt(tx *db.Tx, implCode string, version int) (*Item, error) {
	if v, ok := c.versions.get(implCode, version); ok {
		return v.Item, nil
	}
	v, err := c.versionTx(tx, implCode, version, false, true)
	if err != nil {
		return nil, err
	}
	return v.Item, nil
}
