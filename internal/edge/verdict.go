package edge

import (
	"net/http"

	"github.com/tongban/tongban/internal/license"
)

// VerdictStatus is the HTTP status a licence verification is answered with:
// the check ran (200) whatever the licence's state — valid, expired,
// revoked, a bad signature; a question that names no licence is 400 (not an
// identifier, a wrong check character, not a licence file) or 404; a share
// link past its use is 410.
func VerdictStatus(verdict string) int {
	switch verdict {
	case license.VerdictMalformed, license.VerdictBadCheck, license.VerdictBadFile:
		return http.StatusBadRequest
	case license.VerdictNotFound, license.VerdictShareUnknown:
		return http.StatusNotFound
	case license.VerdictShareExpired, license.VerdictShareUsed:
		return http.StatusGone
	}
	return http.StatusOK
}
