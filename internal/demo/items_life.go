package demo

import "github.com/tongban/tongban/internal/catalog"

// lifeSpecs are the items of a pension and of a death in the family (身后:
// 死亡医学证明, 户口注销, 殡葬补贴, 丧葬补助金 — the 身后一件事 bundle) and of the
// housing provident fund (住房公积金), each modelled on a published guide of
// a Chongqing district like the others.
func lifeSpecs() []spec {
	matDeathCert := catalog.Material{Key: "death_cert", Name: "居民死亡医学证明（推断）书", Source: "government", Issuer: "医疗卫生机构", Originals: 1, Copies: 1, Required: true, Electronic: true}
	matRelation := catalog.Material{Key: "relation", Name: "申请人与死者关系证明", Source: "applicant", Copies: 1, Required: true, Electronic: true}
	matDeceasedID := catalog.Material{Key: "deceased_card", Name: "死者居民身份证", Source: "government", Issuer: "公安机关", Originals: 1, Copies: 1, Required: true}
	fDeceased := fText("deceased_name", "死者姓名", "Name of the deceased", true)
	fDeceasedID := catalog.Field{Key: "deceased_id", Label: "死者公民身份号码", LabelEN: "Citizen ID number of the deceased", Type: "idnumber", Required: true}
	return []spec{
		{dept: "hrss", level: 4, typ: "05", main: "00306", sub: "001", name: "城乡居民基本养老保险待遇申领", en: "Claim of the residents' basic pension",
			objects: personal, basis: []string{"《中华人民共和国社会保险法》第二十一条", "《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）"},
			conds: []string{"参加城乡居民基本养老保险并年满60周岁", "累计缴费满15年（或按规定补缴）", "未领取国家规定的基本养老保障待遇"},
			fees:  free, stat: "", prom: "10", handling: 2, depthLevel: 4, visits: 0, delivery: online,
			result: "养老保险待遇核定结果", resultKind: "payment", themes: []string{"social_security", "elderly"}, events: []string{"retirement", "elderly"},
			keywords: []string{"领养老金", "养老金", "退休待遇", "养老待遇"}, freq: 2200,
			mats: []catalog.Material{matApplication("城乡居民基本养老保险待遇申领表"), matID("参保人"), matHukou, matBank},
			form: []catalog.Field{fName, fID, fPhone, fAddress, fDate("birth_date", "出生日期", "Date of birth")}},
		{dept: "hrss", level: 4, typ: "05", main: "00307", sub: "001", name: "城乡居民基本养老保险丧葬补助金申领", en: "Funeral grant of the residents' basic pension",
			objects: personal, basis: []string{"《中华人民共和国社会保险法》第四十九条", "《重庆市城乡居民基本养老保险办法》"},
			conds: []string{"死者生前为城乡居民基本养老保险参保人或待遇领取人", "申请人为死者的直系亲属或法定继承人"},
			fees:  free, stat: "", prom: "10", handling: 2, depthLevel: 3, visits: 1, delivery: winPostNet,
			result: "丧葬补助金发放", resultKind: "payment", themes: []string{"social_security", "funeral"}, events: []string{"death"},
			keywords: []string{"丧葬补助", "丧葬费", "个人账户余额", "抚恤"}, freq: 500,
			mats: []catalog.Material{matApplication("城乡居民基本养老保险丧葬补助金申领表"), matID("申请人"), matDeathCert, matRelation, matBank},
			form: []catalog.Field{fName, fID, fPhone, fDeceased, fDeceasedID, fDate("death_date", "死亡日期", "Date of death")}},
		{dept: "wjw", level: 4, typ: "20", main: "00505", sub: "001", name: "居民死亡医学证明（推断）书签发", en: "Medical certificate of death",
			objects: personal, basis: []string{"《国家卫生健康委 公安部 民政部关于进一步规范人口死亡医学证明和信息登记管理工作的通知》（国卫规划发〔2021〕1号）"},
			conds: []string{"在医疗卫生机构内死亡的，由救治的医疗卫生机构签发", "在家中或其他场所死亡的，由负责救治或正常死亡调查的基层医疗卫生机构签发"},
			fees:  free, stat: "", prom: "0", handling: 1, depthLevel: 2, visits: 1, delivery: window, place: "死亡发生地的医疗卫生机构、乡镇卫生院或社区卫生服务中心",
			result: "居民死亡医学证明（推断）书", resultKind: "certificate", themes: []string{"medical", "funeral"}, events: []string{"death"},
			keywords: []string{"死亡证明", "死亡证", "开死亡证明"}, freq: 1100,
			mats: []catalog.Material{matDeceasedID, matID("申报人"), {Key: "medical_records", Name: "死者生前病历或诊疗记录", Source: "other", Issuer: "医疗卫生机构", Copies: 1, Required: false, Electronic: true, Note: "有就诊记录时提供"}},
			form: []catalog.Field{fName, fID, fPhone, fDeceased, fDeceasedID, fDate("death_date", "死亡日期", "Date of death"),
				fSelect("place", "死亡地点", "Place of death", "hospital", "医疗卫生机构", "home", "家中", "other", "其他场所")}},
		{dept: "psb", level: 4, typ: "07", main: "00206", sub: "001", name: "死亡人员户口注销", en: "Cancelling the hukou of a deceased person",
			objects: personal, basis: []string{"《中华人民共和国户口登记条例》第八条"},
			conds: []string{"公民死亡，城市在葬前、农村在一个月以内，由户主、亲属、抚养人或者邻居申报死亡登记，注销户口"},
			fees:  free, stat: "", prom: "0", handling: 1, depthLevel: 3, visits: 1, delivery: window,
			result: "户口注销证明", resultKind: "registration", licence: licHukou, themes: []string{"household", "funeral"}, events: []string{"death"},
			keywords: []string{"户口注销", "销户", "注销户口", "死亡登记"}, freq: 1000,
			mats: []catalog.Material{matDeathCert, matHukou, {Key: "deceased_card", Name: "死者居民身份证", Source: "government", Issuer: "公安机关", Originals: 1, Required: true, Note: "交回注销"}, matID("申报人")},
			form: []catalog.Field{fName, fID, fPhone, fDeceased, fDeceasedID, fDate("death_date", "死亡日期", "Date of death")}},
		{dept: "mz", level: 4, typ: "05", main: "00405", sub: "001", name: "惠民殡葬补贴（基本殡葬服务费用减免）", en: "Basic funeral services subsidy",
			objects: personal, basis: []string{"《殡葬管理条例》（国务院令第225号）", "《重庆市民政局 重庆市财政局关于实施惠民殡葬政策的通知》"},
			conds: []string{"死者为本区户籍居民或在本区死亡", "遗体在本区殡仪馆火化"},
			fees:  free, stat: "", prom: "0", handling: 1, depthLevel: 2, visits: 1, delivery: window, place: "涪陵区殡仪馆",
			result: "基本殡葬服务费用减免", resultKind: "payment", themes: []string{"funeral", "assistance"}, events: []string{"death"},
			keywords: []string{"殡葬", "火化", "丧葬补贴", "殡仪馆"}, freq: 800,
			mats: []catalog.Material{matDeathCert, matDeceasedID, matID("经办人"), {Key: "cremation", Name: "火化证明", Source: "other", Issuer: "殡仪馆", Originals: 1, Required: true}},
			form: []catalog.Field{fName, fID, fPhone, fDeceased, fDeceasedID}},
		{dept: "gjj", level: 4, typ: "20", main: "01401", sub: "001", name: "住房公积金提取", en: "Withdrawal from the housing provident fund",
			objects: personal, basis: []string{"《住房公积金管理条例》（国务院令第350号）第二十四条", "《重庆市住房公积金提取管理办法》"},
			conds: []string{"购买、建造、翻建、大修自住住房", "偿还购房贷款本息或租房自住", "离休、退休，或完全丧失劳动能力并与单位终止劳动关系", "出境定居，或职工死亡、被宣告死亡"},
			fees:  free, stat: "", prom: "3", handling: 2, depthLevel: 4, visits: 0, delivery: online,
			result: "住房公积金提取到账", resultKind: "payment", themes: []string{"housing"}, events: []string{"home", "retirement"},
			keywords: []string{"公积金", "取公积金", "公积金提取", "租房提取", "退休提取"}, freq: 3500,
			mats: []catalog.Material{matID("职工"), matBank, {Key: "reason_proof", Name: "提取原因证明（购房合同、租赁合同、退休证明等）", Source: "applicant", Copies: 1, Required: true, Electronic: true}},
			form: []catalog.Field{fName, fID, fPhone, fSelect("reason", "提取原因", "Reason", "buy", "购买自住住房", "loan", "偿还购房贷款", "rent", "租房自住", "retire", "离休、退休", "other", "其他")}},
		{dept: "gjj", level: 4, typ: "20", main: "01402", sub: "001", name: "住房公积金个人住房贷款", en: "Housing provident fund mortgage loan",
			objects: personal, basis: []string{"《住房公积金管理条例》（国务院令第350号）第二十六条", "《重庆市住房公积金个人住房贷款管理办法》"},
			conds: []string{"连续足额缴存住房公积金6个月以上", "购买、建造、翻建、大修自住住房", "具有偿还贷款本息的能力，个人信用良好"},
			fees:  free, stat: "", prom: "10", handling: 2, depthLevel: 3, visits: 1, delivery: winPost,
			result: "住房公积金贷款审批结果", resultKind: "approval", themes: []string{"housing"}, events: []string{"home"},
			keywords: []string{"公积金贷款", "买房贷款", "房贷"}, freq: 900,
			mats: []catalog.Material{matApplication("住房公积金个人住房贷款申请表"), matID("借款人"), matHukou,
				{Key: "purchase_contract", Name: "购房合同", Source: "applicant", Copies: 1, Required: true, Electronic: true},
				{Key: "income_proof", Name: "收入证明", Source: "applicant", Originals: 1, Required: true, Electronic: true}},
			form: []catalog.Field{fName, fID, fPhone, fNumber("amount", "申请贷款金额（万元）", "Amount (10,000 yuan)", 1, 120), fNumber("years", "贷款期限（年）", "Term (years)", 1, 30)}},
	}
}
