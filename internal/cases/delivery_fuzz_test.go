package cases

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
)

// FuzzCheckDelivery holds the choice's rules for any input: a choice it
// accepts is one the item offers, and a posting one has every part, a
// well-formed phone and a known region; the masked address never shows the
// phone or the address in full.
func FuzzCheckDelivery(f *testing.F) {
	f.Add("post", "张三", "13812345678", "500102", "滨江路 88 号")
	f.Add("post", "李四", "023-72221234", "500102006001", "人民东路 5 号")
	f.Add("window", "", "", "", "")
	f.Add("post", " ", "1381234567", "999999", "")
	it := &catalog.Item{Name: "x", Delivery: []string{"window", "post", "online"}}
	f.Fuzz(func(t *testing.T, method, recipient, phone, region, address string) {
		got, err := checkDelivery(it, ChannelOnline, &DeliveryChoice{Method: method, Recipient: recipient, Phone: phone, Region: region, Address: address})
		if err != nil {
			return
		}
		if got.Method != strings.TrimSpace(method) && strings.TrimSpace(method) != "" {
			t.Fatalf("method %q became %q", method, got.Method)
		}
		if got.Method != DeliverPost {
			if got.Address != "" || got.Phone != "" {
				t.Fatalf("a %s choice keeps an address: %+v", got.Method, got)
			}
			return
		}
		if got.Recipient == "" || got.Address == "" || !catalog.ValidPhone(got.Phone) {
			t.Fatalf("accepted %+v", got)
		}
		if _, err := codes.ParseDivision(got.Region); err != nil {
			t.Fatalf("accepted region %q: %v", got.Region, err)
		}
		got.RegionName = regionName(got.Region)
		m := got.mask()
		if strings.Contains(m, got.Phone) || (len([]rune(got.Address)) > 4 && strings.Contains(m, got.Address)) {
			t.Fatalf("mask %q shows %+v", m, got)
		}
	})
}
