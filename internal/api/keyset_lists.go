package api

import (
	"net/http"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/paging"
)

// listsKeyset reads a keyset-paged list's parameters (issue 20): the
// continuation token (after) and the page size (per_page, refused above
// paging.MaxSize). A page number beyond the first is refused: pages are
// followed by the token the previous page gave (next), so a client that
// still counts pages learns so instead of reading page one again.
func listsKeyset(r *http.Request, def int) (string, int, error) {
	q := r.URL.Query()
	if p := q.Get("page"); p != "" && p != "1" {
		return "", 0, apperr.E(apperr.Invalid, "paging.page_number_gone")
	}
	per, err := paging.Size(q.Get("per_page"), def, paging.MaxSize)
	if err != nil {
		return "", 0, err
	}
	return q.Get("after"), per, nil
}
