package cases

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/vault"
)

// How the result of a case reaches the applicant (送达方式), as they chose
// at filing (issue 16, deliverable 4) and as staff delivered it.
const (
	DeliverWindow = "window" // picked up at the window
	DeliverPost   = "post"   // posted (EMS) to an address
	DeliverOnline = "online" // delivered online (the e-licence, the PDF)
)

// DeliveryMethods are the ways, in the order forms offer them.
var DeliveryMethods = []string{DeliverWindow, DeliverPost, DeliverOnline}

// DeliveryChoice is how the applicant asks to receive the result. Post
// needs where to: a recipient, a phone (mobile or landline with area code),
// a region (GB/T 2260 division code, 6 or 12 digits) and the address within
// it. The address is personal data: it is sealed at rest with the case and
// shown in full only to readers of the form values.
type DeliveryChoice struct {
	Method    string `json:"method"`
	Recipient string `json:"recipient,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Region    string `json:"region,omitempty"`
	Address   string `json:"address,omitempty"`
	// RegionName is the region's name (filled on reading).
	RegionName string `json:"region_name,omitempty"`
	// Masked is the posting address as documents and lists show it: the
	// region's name, the address's first characters, the recipient's
	// surname and the phone's ends.
	Masked string `json:"masked,omitempty"`
}

const (
	maxRecipientRunes = 50
	maxAddressRunes   = 200
)

// checkDelivery validates the applicant's choice against the item and
// normalises it; a choice left out takes the default: online for online and
// agent filings when the item delivers online, the window for window filings
// when the item delivers there, else the first way the item offers that
// needs no address (an item that only posts needs one: refused).
func checkDelivery(it *catalog.Item, channel string, d *DeliveryChoice) (DeliveryChoice, error) {
	if d == nil || strings.TrimSpace(d.Method) == "" {
		want := DeliverOnline
		if channel == ChannelWindow {
			want = DeliverWindow
		}
		if !slices.Contains(it.Delivery, want) {
			if i := slices.IndexFunc(it.Delivery, func(m string) bool { return m != DeliverPost }); i >= 0 {
				want = it.Delivery[i]
			} else if len(it.Delivery) > 0 {
				// The item only posts: the applicant must say where to.
				return DeliveryChoice{}, apperr.E(apperr.Invalid, "case.delivery_recipient_required")
			}
		}
		return DeliveryChoice{Method: want}, nil
	}
	out := DeliveryChoice{Method: strings.TrimSpace(d.Method)}
	if !slices.Contains(DeliveryMethods, out.Method) {
		return out, apperr.E(apperr.Invalid, "case.delivery_unknown", "value", out.Method)
	}
	if !slices.Contains(it.Delivery, out.Method) {
		return out, apperr.E(apperr.Invalid, "case.delivery_not_offered", "value", out.Method, "item", it.Name)
	}
	if out.Method != DeliverPost {
		return out, nil
	}
	out.Recipient, out.Phone = strings.TrimSpace(d.Recipient), strings.TrimSpace(d.Phone)
	out.Region, out.Address = strings.TrimSpace(d.Region), strings.TrimSpace(d.Address)
	switch {
	case out.Recipient == "":
		return out, apperr.E(apperr.Invalid, "case.delivery_recipient_required")
	case utf8.RuneCountInString(out.Recipient) > maxRecipientRunes:
		return out, apperr.E(apperr.Invalid, "case.delivery_recipient_long", "max", maxRecipientRunes)
	case out.Phone == "":
		return out, apperr.E(apperr.Invalid, "case.delivery_phone_required")
	case !catalog.ValidPhone(out.Phone):
		return out, apperr.E(apperr.Invalid, "case.delivery_phone_format", "value", out.Phone)
	case out.Region == "":
		return out, apperr.E(apperr.Invalid, "case.delivery_region_required")
	}
	if _, err := codes.ParseDivision(out.Region); err != nil {
		return out, apperr.E(apperr.Invalid, "case.delivery_region_unknown", "value", out.Region)
	}
	switch {
	case out.Address == "":
		return out, apperr.E(apperr.Invalid, "case.delivery_address_required")
	case utf8.RuneCountInString(out.Address) > maxAddressRunes:
		return out, apperr.E(apperr.Invalid, "case.delivery_address_long", "max", maxAddressRunes)
	}
	return out, nil
}

// postPurpose binds a case's sealed posting address to its row.
func postPurpose(caseID string) string { return "cases.delivery_post/" + caseID }

// sealPost is the stored text of a choice's posting address ("" when the
// result is not posted).
func sealPost(v *vault.Vault, caseID string, d DeliveryChoice) string {
	if d.Method != DeliverPost {
		return ""
	}
	return v.SealText(jsonText(map[string]string{"recipient": d.Recipient, "phone": d.Phone, "region": d.Region, "address": d.Address}),
		postPurpose(caseID))
}

// openPost fills d's posting address from its stored text.
func openPost(v *vault.Vault, caseID, sealed string, d *DeliveryChoice) error {
	if sealed == "" {
		return nil
	}
	plain, err := v.OpenText(sealed, postPurpose(caseID))
	if err != nil {
		return err
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(plain), &m); err != nil {
		return err
	}
	d.Recipient, d.Phone, d.Region, d.Address = m["recipient"], m["phone"], m["region"], m["address"]
	d.RegionName = regionName(d.Region)
	d.Masked = d.mask()
	return nil
}

// regionName is a division's full name: the county's, with the township's
// code when the 12-digit form names one (the table holds counties only).
func regionName(code string) string {
	if len(code) < 6 {
		return ""
	}
	p, _ := codes.DivisionName(code[:2] + "0000")
	name := codes.DivisionFullName(code[:6])
	if name == p || strings.HasPrefix(name, p) {
		return name
	}
	return p + name
}

// mask is the posting address without what identifies the person: the
// region's name, the address's first four characters, the recipient's
// surname and the phone's first 3 and last 4 digits.
func (d DeliveryChoice) mask() string {
	if d.Region == "" {
		return ""
	}
	addr := []rune(d.Address)
	shown := string(addr[:min(4, len(addr))])
	return d.RegionName + shown + "****（收件人 " + codes.MaskName(d.Recipient) + "，" + maskPhone(d.Phone) + "）"
}

// maskPhone keeps a number's first 3 and last 4 digits.
func maskPhone(p string) string {
	if len(p) < 8 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + "****" + p[len(p)-4:]
}
