package demo

import (
	"context"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// all is every type of 诉求.
var allAppealTypes = appeal.Types

// appealDirectory is the county's dispatch directory (派单目录): category →
// the district department that handles it, and the types it takes.
var appealDirectory = []struct {
	code, name, nameEN, dept string
	types                    []string
}{
	{"gov-services", "政务服务与窗口服务", "Government services and service windows", "gov", allAppealTypes},
	{"business", "市场主体登记", "Business registration", "amr", allAppealTypes},
	{"food-safety", "食品药品安全", "Food and drug safety", "amr", []string{"consult", "complaint", "report", "suggestion"}},
	{"consumer", "消费维权", "Consumer rights", "amr", []string{"consult", "request", "complaint", "report"}},
	{"household", "户籍与证件", "Household registration and identity cards", "psb", allAppealTypes},
	{"traffic", "道路交通", "Road traffic", "psb", []string{"consult", "request", "complaint", "report", "suggestion"}},
	{"tax", "税费", "Taxes and fees", "tax", allAppealTypes},
	{"social-security", "社会保险与就业", "Social insurance and employment", "hrss", allAppealTypes},
	{"wages", "欠薪", "Unpaid wages", "hrss", []string{"consult", "request", "complaint", "report"}},
	{"civil-affairs", "养老与社会救助", "Elderly care and social assistance", "mz", allAppealTypes},
	{"health", "医疗卫生", "Health care", "wjw", allAppealTypes},
	{"medical-insurance", "医疗保障", "Medical insurance", "yb", allAppealTypes},
	{"housing", "住房与物业", "Housing and property management", "zjw", allAppealTypes},
	{"land", "规划与自然资源", "Planning and natural resources", "gtj", allAppealTypes},
	{"forestry", "林业与生态", "Forestry and ecology", "lyj", []string{"consult", "request", "complaint", "report", "suggestion"}},
	{"disability", "残疾人服务", "Services for persons with disabilities", "dpf", allAppealTypes},
	{"provident-fund", "住房公积金", "Housing provident fund", "gjj", allAppealTypes},
}

// seedAppealDirectory writes the county's dispatch directory through the
// administration a real administrator uses; entries already there are kept.
func seedAppealDirectory(ctx context.Context, d *db.DB, ids *identity.Service, admin *identity.User, dept map[string]string) error {
	svc := &appeal.Service{DB: d, Identity: ids}
	have, err := svc.Categories(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, c := range have {
		known[c.Code] = true
	}
	for _, e := range appealDirectory {
		if known[e.code] {
			continue
		}
		if _, err := svc.PutCategory(ctx, admin, appeal.Category{Code: e.code, Name: e.name, NameEN: e.nameEN,
			DepartmentID: dept[e.dept], Types: e.types, Enabled: true}); err != nil {
			return err
		}
	}
	return nil
}
