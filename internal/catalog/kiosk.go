package catalog

import (
	"context"
	"slices"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// KioskItem is a self-service item (自助办理) a hall's kiosk offers.
type KioskItem struct {
	ImplCode   string `json:"impl_code"`
	Name       string `json:"name"`
	Department string `json:"department"`
}

// SelfServiceItems lists the self-service items a hall's kiosk offers:
// published, not withdrawn, marked self_service, and the hall's — served
// at one of its windows, by one of its queue services, or implemented in
// its division. Most frequent first.
func (c *Catalog) SelfServiceItems(ctx context.Context, hallID string) ([]KioskItem, error) {
	out := []KioskItem{}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(`SELECT i.impl_code, i.name, d.name FROM items i JOIN departments d ON d.id = i.department_id
			WHERE i.self_service AND i.published_version > 0 AND NOT i.withdrawn AND (
				i.region_code = (SELECT region_code FROM halls WHERE id = $1)
				OR i.impl_code IN (SELECT wi.impl_code FROM window_items wi JOIN windows w ON w.id = wi.window_id WHERE w.hall_id = $1)
				OR i.impl_code IN (SELECT si.impl_code FROM hall_service_items si JOIN hall_services s ON s.id = si.service_id WHERE s.hall_id = $1))
			ORDER BY i.frequency DESC, i.impl_code`, hallID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k KioskItem
			if err := rows.Scan(&k.ImplCode, &k.Name, &k.Department); err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("catalog: self-service items", err)
}

// SelfServiceItem is the published version of one of the hall's
// self-service items; any other item is NotFound at the kiosk.
func (c *Catalog) SelfServiceItem(ctx context.Context, hallID, implCode string) (*Version, error) {
	list, err := c.SelfServiceItems(ctx, hallID)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(list, func(k KioskItem) bool { return k.ImplCode == implCode }) {
		return nil, apperr.E(apperr.NotFound, "kiosk.item_unknown", "code", implCode)
	}
	ver, err := c.Published(ctx, implCode, 0)
	if err == nil && (!ver.Item.SelfService || ver.Item.Handling != 1) {
		err = apperr.E(apperr.NotFound, "kiosk.item_unknown", "code", implCode)
	}
	return ver, err
}
