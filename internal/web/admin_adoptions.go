package web

import (
	"net/http"
	"net/url"

	"github.com/tongban/tongban/internal/catalog"
)

// Items per region (issue 15): a town's administrator sees what the
// district/city catalog offers for the town's level, adopts (认领) it with
// the town's hall, windows, phone, address and promised limit, changes
// those, follows the source's newer version, or withdraws the adoption. The
// catalog service checks the scope and the bounds and writes the audit
// records; a refused form shows the error page naming the field.

// windowChoice is a window offered in the forms, with its hall.
type windowChoice struct {
	catalog.Window
	HallName string
}

func (s *Server) adminAdoptions(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "adopt.title")
	ctx := r.Context()
	offers, err := s.Catalog.Offered(ctx, v.User)
	if err != nil {
		return err
	}
	list, err := s.Catalog.Adoptions(ctx, v.User)
	if err != nil {
		return err
	}
	ds, err := s.Catalog.AdminDepartments(ctx, v.User)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, d := range ds {
		names[d.ID] = d.Name
	}
	hs, err := s.Catalog.AdminHalls(ctx, v.User)
	if err != nil {
		return err
	}
	var halls []catalog.Hall
	var windows []windowChoice
	for _, h := range hs {
		if h.Level < 4 || !h.Active { // the towns' centres and the villages' stations
			continue
		}
		halls = append(halls, h)
		ws, err := s.Catalog.Windows(ctx, v.User, h.ID)
		if err != nil {
			return err
		}
		for _, win := range ws {
			if win.Active {
				windows = append(windows, windowChoice{win, h.Name})
			}
		}
	}
	v.Data["Offers"], v.Data["Adoptions"], v.Data["DeptNames"] = offers, list, names
	v.Data["Halls"], v.Data["Windows"] = halls, windows
	switch done := r.URL.Query().Get("done"); done {
	case "adopted", "saved", "withdrawn":
		v.Data["Done"] = done
	}
	s.render(w, r, http.StatusOK, "admin_adoptions", v)
	return nil
}

func (s *Server) adminAdopt(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "adopt.title")
	f := r.PostForm
	windows := f["windows"]
	if windows == nil {
		windows = []string{}
	}
	a, err := s.Catalog.Adopt(r.Context(), v.User, catalog.AdoptInput{Source: f.Get("source"), DepartmentID: f.Get("department_id"),
		HallID: f.Get("hall_id"), Windows: windows, Phone: f.Get("phone"), Address: f.Get("address"), PromisedLimit: f.Get("promised_limit")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/adoptions?done=adopted#a-"+url.PathEscape(a.ImplCode), http.StatusSeeOther)
	return nil
}

func (s *Server) adminEditAdoption(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "adopt.title")
	f := r.PostForm
	windows := f["windows"]
	if windows == nil {
		windows = []string{}
	}
	in := catalog.AdoptionUpdate{HallID: formText(r, "hall_id"), Windows: &windows, Phone: formText(r, "phone"), Address: formText(r, "address"),
		PromisedLimit: formText(r, "promised_limit"), Refresh: f.Get("refresh") == "1"}
	a, err := s.Catalog.UpdateAdoption(r.Context(), v.User, r.PathValue("code"), in)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/adoptions?done=saved#a-"+url.PathEscape(a.ImplCode), http.StatusSeeOther)
	return nil
}

func (s *Server) adminWithdrawAdoption(w http.ResponseWriter, r *http.Request) error {
	v := s.view(r, "adopt.title")
	a, err := s.Catalog.WithdrawAdoption(r.Context(), v.User, r.PathValue("code"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/adoptions?done=withdrawn#a-"+url.PathEscape(a.ImplCode), http.StatusSeeOther)
	return nil
}
