package catalog

import (
	"context"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
)

// Department is an implementing agency (部门) of a region.
type Department struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	NameEN     string `json:"name_en,omitempty"`
	CreditCode string `json:"credit_code"`
	RegionCode string `json:"region_code"`
	RegionName string `json:"region"`
	ParentID   string `json:"parent_id,omitempty"`
	Kind       string `json:"kind"` // one of DepartmentKinds
	Phone      string `json:"phone,omitempty"`
	Address    string `json:"address,omitempty"`
	Active     bool   `json:"active"`
}

// Hall is a service hall (政务服务大厅 / 便民服务中心 / 便民服务站).
type Hall struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	RegionCode string    `json:"region_code"`
	RegionName string    `json:"region"`
	Level      int       `json:"level"`
	Address    string    `json:"address,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	Hours      []Opening `json:"hours"`
	Lat        *float64  `json:"lat,omitempty"`
	Lng        *float64  `json:"lng,omitempty"`
	Active     bool      `json:"active"`
}

// within is the SQL LIKE pattern matching every division inside region.
func within(region string) string { return codes.DivisionPrefix(region) + "%" }

// Departments lists the departments of a region and of every division
// inside it ("" lists all), ordered by region then name.
func (c *Catalog) Departments(ctx context.Context, region string) ([]Department, error) {
	if region != "" {
		if _, err := codes.ParseDivision(region); err != nil {
			return nil, err
		}
	}
	out := []Department{}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(departmentSelect+` WHERE d.region_code LIKE $1 ORDER BY r.level, d.region_code, d.name`, within(region))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDepartment(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("catalog: departments", err)
}

// Halls lists the halls of a region and every division inside it.
func (c *Catalog) Halls(ctx context.Context, region string) ([]Hall, error) {
	if _, err := codes.ParseDivision(region); err != nil {
		return nil, err
	}
	out := []Hall{}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(hallSelect+` WHERE h.region_code LIKE $1 ORDER BY r.level, h.region_code`, within(region))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			h, err := scanHall(rows)
			if err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("catalog: halls", err)
}

// HallName is the customary name of the hall of a region: 行政服务中心 for a
// county, 便民服务中心 for a township, 便民服务站 for a village/community.
func HallName(r Region) string {
	switch r.Level {
	case 3:
		return r.Name + "行政服务中心"
	case 4:
		return r.Name + "便民服务中心"
	case 5:
		name := r.Name
		for _, suffix := range []string{"村民委员会", "居民委员会", "村委会", "居委会"} {
			if s, ok := strings.CutSuffix(name, suffix); ok {
				name = s
				break
			}
		}
		return name + "便民服务站"
	}
	return r.Name + "政务服务中心"
}
