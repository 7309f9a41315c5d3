package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/cases"
)

// deliveryView is the choice of how to receive the result on the apply and
// intake pages: the ways the item offers, and the one chosen (as posted, or
// the page's default).
type deliveryView struct {
	Offered []string
	Choice  cases.DeliveryChoice
}

// deliveryOf reads the delivery choice of an application form (nil when the
// form chose none: the service's default applies).
func deliveryOf(r *http.Request) *cases.DeliveryChoice {
	m := strings.TrimSpace(r.PostForm.Get("delivery"))
	if m == "" {
		return nil
	}
	return &cases.DeliveryChoice{Method: m, Recipient: r.PostForm.Get("delivery_recipient"), Phone: r.PostForm.Get("delivery_phone"),
		Region: r.PostForm.Get("delivery_region"), Address: r.PostForm.Get("delivery_address")}
}

// deliveryFor prepares the choice for an item offering offered: the posted
// choice, or preferred when offered, or the first way that needs no address.
func deliveryFor(r *http.Request, offered []string, preferred string) *deliveryView {
	v := &deliveryView{Offered: offered}
	if d := deliveryOf(r); d != nil {
		v.Choice = *d
		return v
	}
	v.Choice.Method = preferred
	if !slices.Contains(offered, preferred) {
		v.Choice.Method = ""
		for _, o := range offered {
			if o != cases.DeliverPost {
				v.Choice.Method = o
				break
			}
		}
	}
	return v
}
