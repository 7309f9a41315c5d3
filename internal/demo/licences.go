package demo

import "github.com/tongban/tongban/internal/license"

// LicenceTypes are the licence types the demo library issues: those the
// demo items yield and later items accept in place of a material (免提交).
// The type codes are the catalog's (items_kit.go); the defining authorities
// are the national ministries.
func LicenceTypes() []license.Type {
	holderName := license.Field{Key: "持证人", Label: "姓名", LabelEN: "Name", From: "applicant.name"}
	return []license.Type{
		{Code: licBusiness, Name: "营业执照", NameEN: "Business licence", Authority: "国家市场监督管理总局", NumberPrefix: "YZ",
			Layout: license.Layout{Accent: "#b22222", Subtitle: "（电子营业执照）"},
			Fields: []license.Field{
				{Key: "名称", Label: "名称", LabelEN: "Name", From: "form:business_name|form:org_name|applicant.name"},
				{Key: "经营者", Label: "经营者（法定代表人）", LabelEN: "Operator", From: "form:legal_rep|applicant.name"},
				{Key: "组成形式", Label: "组成形式", LabelEN: "Form", From: "form:form_of"},
				{Key: "经营范围", Label: "经营范围", LabelEN: "Scope", From: "form:scope"},
				{Key: "经营场所", Label: "经营场所（住所）", LabelEN: "Premises", From: "form:org_address"},
				{Key: "资金数额", Label: "资金数额（万元）", LabelEN: "Capital (10,000 yuan)", From: "form:capital|form:registered_capital"},
			}},
		{Code: licFood, Name: "食品经营许可证", NameEN: "Food business licence", Authority: "国家市场监督管理总局", ValidityYears: 5, NumberPrefix: "JY",
			Layout: license.Layout{Accent: "#1f5f9f"},
			Fields: []license.Field{
				{Key: "经营者名称", Label: "经营者名称", LabelEN: "Business", From: "form:org_name|applicant.name"},
				{Key: "法定代表人", Label: "法定代表人（负责人）", LabelEN: "Legal representative", From: "form:legal_rep"},
				{Key: "经营场所", Label: "经营场所", LabelEN: "Premises", From: "form:org_address"},
				{Key: "经营项目", Label: "经营项目", LabelEN: "Food categories", From: "form:food_items"},
			}},
		{Code: licDisability, Name: "中华人民共和国残疾人证", NameEN: "Disability certificate", Authority: "中国残疾人联合会", ValidityYears: 10, NumberPrefix: "CJ",
			Layout: license.Layout{Accent: "#8b5a2b"},
			Fields: []license.Field{holderName,
				{Key: "残疾类别", Label: "残疾类别", LabelEN: "Category", From: "form:category"},
				{Key: "住址", Label: "住址", LabelEN: "Address", From: "form:applicant_address"},
			}},
		{Code: licElderly, Name: "老年人优待证", NameEN: "Senior citizen's card", Authority: "民政部", NumberPrefix: "LN",
			Layout: license.Layout{Accent: "#c8102e"},
			Fields: []license.Field{holderName,
				{Key: "住址", Label: "住址", LabelEN: "Address", From: "form:applicant_address"},
			}},
	}
}
