package demo

import (
	"fmt"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
)

// The demo catalog is written with a small kit: shared materials, form
// fields and questions appear once here, as they do in real guides, and
// every item is modelled on a published 办事指南 of a Chongqing district.
// Phone numbers are illustrative (023-72 is Fuling's exchange); 12345 is
// the real government service hotline.

// Licence type codes (GB/T 36904: defining authority + 3 digits) for the
// demo's reusable licences. The authority is the one the national e-licence
// directory's published identifiers use; the three-digit numbers are demo
// assignments, not the national directory's.
const (
	licBusiness    = "11100000000013338W011" // 营业执照
	licFood        = "11100000000013338W031" // 食品经营许可证
	licDisability  = "11100000000013338W061" // 残疾人证
	licElderly     = "11100000000013338W062" // 老年人优待证
	licHukou       = "11100000000013338W002" // 居民户口簿
	licMarriage    = "11100000000013338W005" // 结婚证
	licBirth       = "11100000000013338W007" // 出生医学证明
	licRealty      = "11100000000013338W021" // 不动产权证书
	licBuildPermit = "11100000000013338W041" // 建筑工程施工许可证
	licIDCard      = "11100000000013338W001" // 居民身份证
)

// spec is one demo item before it becomes a catalog.Item.
type spec struct {
	dept       string // department key, or a town's 12-digit code for its government
	level      int
	typ        string
	main, sub  string // basic code parts: 5 + 3 digits
	name, en   string
	objects    []int
	basis      []string
	conds      []string
	fees       []catalog.Fee
	stat, prom string
	handling   int
	depthLevel int
	visits     int
	delivery   []string
	commit     bool
	tolerance  bool
	result     string
	resultKind string
	licence    string
	themes     []string
	events     []string
	keywords   []string
	freq       int
	mats       []catalog.Material
	form       []catalog.Field
	sit        *catalog.Situations
	faq        []catalog.FAQ
	place      string
	scope      string
	offered    []int // the lower 行使层级 that may adopt (认领) the item
	requiresL2 bool  // online filings need a person verified at a window (L2)
}

// Shared materials.
func matID(holder string) catalog.Material {
	return catalog.Material{Key: "id_card", Name: holder + "居民身份证", Source: "government", Issuer: "公安机关", Originals: 1, Copies: 1, Required: true, Electronic: true, LicenceType: licIDCard}
}

func matApplication(name string) catalog.Material {
	return catalog.Material{Key: "application", Name: name, Source: "applicant", Originals: 1, Required: true, Electronic: true, Sample: "可在线填写，系统自动生成申请表"}
}

var (
	matBusiness = catalog.Material{Key: "business_licence", Name: "营业执照", Source: "government", Issuer: "市场监督管理部门", Originals: 1, Copies: 1, Required: true, Electronic: true, LicenceType: licBusiness}
	matHukou    = catalog.Material{Key: "hukou", Name: "居民户口簿", Source: "government", Issuer: "公安机关", Originals: 1, Copies: 1, Required: true, Electronic: true, LicenceType: licHukou}
	matProxy    = catalog.Material{Key: "proxy", Name: "授权委托书", Source: "applicant", Originals: 1, Required: true, Electronic: true, Note: "委托他人代办时提供"}
	matProxyID  = catalog.Material{Key: "proxy_id", Name: "受托人居民身份证", Source: "government", Issuer: "公安机关", Originals: 1, Copies: 1, Required: true, Electronic: true, Note: "委托他人代办时提供"}
	matLease    = catalog.Material{Key: "lease", Name: "经营场所租赁合同", Source: "applicant", Copies: 1, Required: true, Electronic: true, Note: "经营场所为租赁时提供"}
	matPremises = catalog.Material{Key: "premises_title", Name: "经营场所产权证明", Source: "government", Issuer: "不动产登记机构", Copies: 1, Required: true, Electronic: true, LicenceType: licRealty, Note: "经营场所为自有房屋时提供"}
	matPhoto    = catalog.Material{Key: "photo", Name: "近期二寸免冠彩色照片", Source: "applicant", Originals: 2, Required: true, Electronic: true}
	matBank     = catalog.Material{Key: "bank_card", Name: "本人银行账户（社保卡金融账户）信息", Source: "applicant", Copies: 1, Required: true, Electronic: true}
)

// Shared form fields.
var (
	fName    = catalog.Field{Key: "applicant_name", Label: "申请人姓名", LabelEN: "Applicant's name", Type: "text", Required: true, MaxLen: 30}
	fID      = catalog.Field{Key: "applicant_id", Label: "公民身份号码", LabelEN: "Citizen ID number", Type: "idnumber", Required: true}
	fPhone   = catalog.Field{Key: "applicant_phone", Label: "联系电话", LabelEN: "Phone", Type: "phone", Required: true}
	fAddress = catalog.Field{Key: "applicant_address", Label: "住址", LabelEN: "Address", Type: "address", Required: true, Help: "选择所在区县、乡镇（街道）、村（社区），再填写门牌号"}
	fOrgName = catalog.Field{Key: "org_name", Label: "单位名称", LabelEN: "Organisation name", Type: "text", Required: true, MaxLen: 100}
	fOrgCode = catalog.Field{Key: "org_credit_code", Label: "统一社会信用代码", LabelEN: "Unified social credit code", Type: "creditcode", Required: true}
	fLegal   = catalog.Field{Key: "legal_rep", Label: "法定代表人（负责人）", LabelEN: "Legal representative", Type: "text", Required: true, MaxLen: 30}
	fOrgAddr = catalog.Field{Key: "org_address", Label: "住所（经营场所）", LabelEN: "Registered address", Type: "address", Required: true}
)

func fSelect(key, label, en string, opts ...string) catalog.Field {
	f := catalog.Field{Key: key, Label: label, LabelEN: en, Type: "select", Required: true}
	for i := 0; i+1 < len(opts); i += 2 {
		f.Options = append(f.Options, catalog.Option{Value: opts[i], Label: opts[i+1]})
	}
	return f
}

func fNumber(key, label, en string, min, max float64) catalog.Field {
	return catalog.Field{Key: key, Label: label, LabelEN: en, Type: "number", Required: true, Min: &min, Max: &max}
}

func fText(key, label, en string, required bool) catalog.Field {
	return catalog.Field{Key: key, Label: label, LabelEN: en, Type: "text", Required: required, MaxLen: 200}
}

func fDate(key, label, en string) catalog.Field {
	return catalog.Field{Key: key, Label: label, LabelEN: en, Type: "date", Required: true}
}

func fFile(key, label, en string, required bool) catalog.Field {
	return catalog.Field{Key: key, Label: label, LabelEN: en, Type: "attachment", Required: required}
}

func yesNo(key, text, en string) catalog.Question {
	return catalog.Question{Key: key, Text: text, TextEN: en, Options: []catalog.Option{
		{Value: "yes", Label: "是", LabelEN: "Yes"}, {Value: "no", Label: "否", LabelEN: "No"}}}
}

func choice(key, text, en string, opts ...string) catalog.Question {
	q := catalog.Question{Key: key, Text: text, TextEN: en}
	for i := 0; i+1 < len(opts); i += 2 {
		q.Options = append(q.Options, catalog.Option{Value: opts[i], Label: opts[i+1]})
	}
	return q
}

func when(q, v string, mats ...string) catalog.Rule {
	return catalog.Rule{When: map[string]string{q: v}, Materials: mats}
}

// agent adds the common "委托他人代办" question and its two materials.
func agent(s *spec) {
	s.mats = append(s.mats, matProxy, matProxyID)
	if s.sit == nil {
		s.sit = &catalog.Situations{}
	}
	s.sit.Questions = append(s.sit.Questions, yesNo("by_agent", "是否委托他人代办？", "Is someone applying on your behalf?"))
	s.sit.Rules = append(s.sit.Rules, when("by_agent", "yes", "proxy", "proxy_id"))
}

func conds(ss ...string) []catalog.Condition {
	out := make([]catalog.Condition, len(ss))
	for i, s := range ss {
		out[i] = catalog.Condition{Key: fmt.Sprintf("c%d", i+1), Text: s}
	}
	return out
}

// towns whose governments implement demo items (the ones the district
// offers, adopted; and their own village-level ones): code → position among
// the district's townships (their demo credit codes are 11500102MB1T + 4
// digits).
var townIndex = map[string]int{"500102103000": 12, "500102107000": 13, "500102119000": 15}

var deptPhone = map[string]string{
	"gov": "023-72225100", "amr": "023-72223315", "psb": "023-72830110", "hrss": "023-72225678",
	"mz": "023-72221530", "wjw": "023-72223012", "yb": "023-72880966", "zjw": "023-72226321",
	"gtj": "023-72225017", "lyj": "023-72222490", "tax": "023-12366", "dpf": "023-72223880",
	"gjj": "023-72226790",
}

// item turns a spec into a catalog item of the demo region.
func (s spec) item(deptCodes map[string]string) (*catalog.Item, error) {
	credit, region, place, phone := deptCodes[s.dept], Region, "涪陵区行政服务中心", deptPhone[s.dept]
	if i, ok := townIndex[s.dept]; ok {
		c, err := townGovernmentCode(i)
		if err != nil {
			return nil, err
		}
		credit, region = c, s.dept
		name, _ := townName(s.dept)
		place, phone = name+"便民服务中心", "023-7270"+s.dept[7:9]+"00"
		if s.level == 6 {
			place = name + "各村（社区）便民服务站"
		}
	}
	if s.place != "" {
		place = s.place
	}
	basic := "50" + s.typ + s.main + s.sub
	impl, err := codes.NewImplCode(credit, s.level, basic)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	depth := []int{1, 2, 3}
	switch s.depthLevel {
	case 3:
		depth = []int{1, 2, 3, 4, 6}
	case 4:
		depth = []int{1, 2, 3, 4, 5, 6}
		if s.licence != "" {
			depth = append(depth, 7)
		}
	}
	it := &catalog.Item{
		BasicCode: basic, ImplCode: impl.Code, Name: s.name, NameEN: s.en, Type: s.typ, Level: s.level,
		AgencyNature: 1, Department: credit, Region: region, Objects: s.objects, LegalBasis: s.basis,
		Conditions: conds(s.conds...), Fees: s.fees, StatutoryLimit: s.stat, PromisedLimit: s.prom,
		Handling: s.handling, Depth: depth, DepthLevel: s.depthLevel, Visits: s.visits, Delivery: s.delivery,
		Commitment: s.commit, Tolerance: s.tolerance, Place: place, Scope: s.scope,
		Hours:        "工作日 上午 9:00—12:00，下午 14:00—17:30（法定节假日除外）",
		ConsultPhone: phone, SupervisePhone: "12345",
		FAQ: s.faq, Result: catalog.Result{Name: s.result, Kind: s.resultKind, LicenceType: s.licence},
		Themes: s.themes, LifeEvents: s.events, Keywords: s.keywords, Frequency: s.freq, OfferedLevels: s.offered,
		Materials: s.mats, Form: s.form, Situations: s.sit, RequiresL2: s.requiresL2,
	}
	it.Canon()
	return it, catalog.Validate(it)
}

func townName(code string) (string, bool) {
	switch code {
	case "500102103000":
		return "南沱镇", true
	case "500102107000":
		return "青羊镇", true
	case "500102119000":
		return "珍溪镇", true
	}
	return "", false
}
