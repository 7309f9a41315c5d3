package web

import (
	"net/http"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/edge"
)

// adminSynonyms is the catalog console's 检索同义词 (issue 17): the shipped
// terms and the stored entries over them; the installation's
// administrators add, change, turn off and restore terms (action=save with
// a term and its wordings, one a line — none turns a shipped term off;
// action=delete restores the shipped term or removes an added one). Other
// administrators read the list.
func (s *Server) adminSynonyms(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "admin.synonyms_title")
	status := http.StatusOK
	form := catalog.Synonym{}
	if r.Method == http.MethodPost {
		f := r.PostForm
		term := strings.TrimSpace(f.Get("term"))
		var err error
		switch f.Get("action") {
		case "delete":
			err = s.Catalog.DeleteSynonym(r.Context(), v.User, term)
		default:
			form = catalog.Synonym{Term: term, Expansions: lines(f.Get("expansions"))}
			err = s.Catalog.SaveSynonym(r.Context(), v.User, form)
		}
		if err == nil {
			http.Redirect(w, r, "/admin/catalog/synonyms?done=saved", http.StatusSeeOther)
			return nil
		}
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		v.Problem = &p
		status = p.Status
	}
	list, err := s.Catalog.Synonyms(r.Context(), v.User)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("done") == "saved" {
		v.Notice = v.T("admin.synonym_saved")
	}
	v.Data["Synonyms"] = list
	v.Data["Form"] = form
	v.Data["FormExpansions"] = strings.Join(form.Expansions, "\n")
	v.Data["CanEdit"] = s.Catalog.MayEditSynonyms(v.User)
	s.render(w, r, status, "admin_synonyms", v)
	return nil
}
