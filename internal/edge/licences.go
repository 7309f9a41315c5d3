package edge

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/license"
)

// Licences is the licence library, or Unavailable when this installation
// has none (no signing keys): the page and the API answer alike.
func Licences(lib *license.Service) (*license.Service, error) {
	if lib == nil {
		return nil, apperr.E(apperr.Unavailable, "licence.unavailable")
	}
	return lib, nil
}

// PublicLicences is Licences for a public verification, within the
// per-address limit (each verification is written down).
func PublicLicences(lib *license.Service, lim *Limiter, r *http.Request) (*license.Service, error) {
	if err := lim.Check(r); err != nil {
		return nil, err
	}
	return Licences(lib)
}
