package catalog

import (
	"slices"

	"github.com/tongban/tongban/internal/calendar"
)

// Item is the content of one version of a service item (事项), with the
// fields of GB/T 39046-2020 that MISSION.md R1.1 lists. A version is stored
// as this document; once published it never changes (R1.5).
type Item struct {
	BasicCode    string `json:"basic_code"` // 基本编码, 12 digits
	ImplCode     string `json:"impl_code"`  // 实施编码 = agency credit code + level + basic code
	Name         string `json:"name"`       // 事项名称
	NameEN       string `json:"name_en,omitempty"`
	Type         string `json:"type"`          // 事项类型 (code set, "01" 行政许可 …)
	Level        int    `json:"level"`         // 行使层级 1 国家 … 6 村社区, 7 分级管理
	AgencyNature int    `json:"agency_nature"` // 实施主体性质 1 法定机关, 2 授权组织, 3 受委托组织, 9 其他
	Department   string `json:"department"`    // implementing agency's unified social credit code
	Region       string `json:"region"`        // division where the item is implemented
	Objects      []int  `json:"objects"`       // 服务对象 1 自然人, 2 企业法人 …
	// OfferedLevels are the lower 行使层级 (5 乡镇街道, 6 村社区 …) whose
	// governments and departments may adopt (认领) the item as their own
	// (Adopt): one catalog serves all levels (R1.6). Empty: none may.
	OfferedLevels []int `json:"offered_levels,omitempty"`

	LegalBasis []string    `json:"legal_basis"` // 设定依据
	Conditions []Condition `json:"conditions"`  // 受理条件
	Fees       []Fee       `json:"fees"`        // 收费; empty means free of charge

	StatutoryLimit string   `json:"statutory_limit"` // 法定办结时限, working days ("20", "0.5"); "" if none
	PromisedLimit  string   `json:"promised_limit"`  // 承诺办结时限, working days; "0" for 即办件
	PreReviewLimit string   `json:"pre_review_limit,omitempty"`
	Handling       int      `json:"handling"`          // 办件类型 1 即办件, 2 承诺件, 9 其他
	Process        string   `json:"process,omitempty"` // 审批流程: a workflow.ItemProcesses key; empty runs the standard process
	Depth          []int    `json:"depth"`             // 网上办理深度 1 咨询 … 7 电子证照反馈
	DepthLevel     int      `json:"depth_level"`       // portal level Ⅰ–Ⅳ
	Visits         int      `json:"visits"`            // 到现场次数: 0 零跑动, 1 最多跑一次 …
	Delivery       []string `json:"delivery"`          // 送达方式: window, post, online
	Commitment     bool     `json:"commitment"`        // 告知承诺 allowed
	Tolerance      bool     `json:"tolerance"`         // 容缺受理 allowed
	// SelfService (自助办理): the applicant files it at a hall's
	// self-service kiosk, signed in there; only an 即办件 (handling 1).
	SelfService bool   `json:"self_service,omitempty"`
	Scope       string `json:"scope,omitempty"` // 通办范围: national, cross_province, cross_city, cross_county
	// RequiresL2: a natural person files online (or through an agent) only
	// with an account verified face to face at a window (identity.AssuranceL2);
	// window filings pass, the clerk seeing the person.
	RequiresL2 bool `json:"requires_l2,omitempty"`

	Place          string `json:"place,omitempty"` // 办理地点
	Hours          string `json:"hours,omitempty"` // 办理时间
	ConsultPhone   string `json:"consult_phone"`   // 咨询电话
	SupervisePhone string `json:"supervise_phone"` // 监督投诉电话
	FAQ            []FAQ  `json:"faq,omitempty"`
	Result         Result `json:"result"` // 审批结果

	Themes     []string `json:"themes,omitempty"`      // 主题分类
	LifeEvents []string `json:"life_events,omitempty"` // 人生/企业生命周期事件
	Keywords   []string `json:"keywords,omitempty"`
	Frequency  int      `json:"frequency"` // yearly volume estimate; high-frequency items first (R1.7)

	Materials  []Material  `json:"materials"`
	Form       []Field     `json:"form"`
	Situations *Situations `json:"situations,omitempty"`
}

// Condition is one acceptance condition (受理条件). A condition named by a
// situation rule applies only when the rule matches.
type Condition struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

// Fee is one charge (收费项目) with its basis.
type Fee struct {
	Name   string `json:"name"`
	Amount string `json:"amount"` // as published: "10元/件", "按面积计收"
	Basis  string `json:"basis,omitempty"`
}

// FAQ is one common question (常见问题).
type FAQ struct {
	Q string `json:"q"`
	A string `json:"a"`
}

// Result is what the applicant receives (审批结果).
type Result struct {
	Name        string `json:"name"`
	Kind        string `json:"kind,omitempty"`         // licence, approval, certificate, other
	LicenceType string `json:"licence_type,omitempty"` // GB/T 36904 licence type code it yields
}

// Material is one application material (申请材料, R1.2).
type Material struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Source      string `json:"source,omitempty"` // 来源渠道: applicant, government, other
	Issuer      string `json:"issuer,omitempty"` // 出具单位
	Originals   int    `json:"originals"`        // 原件份数
	Copies      int    `json:"copies"`           // 复印件份数
	Required    bool   `json:"required"`
	Electronic  bool   `json:"electronic"`             // 电子材料可用
	LicenceType string `json:"licence_type,omitempty"` // 免提交: a licence of this type satisfies it
	Sample      string `json:"sample,omitempty"`       // 填写说明 / 样表
	Note        string `json:"note,omitempty"`
}

// Statutory returns the statutory limit; ok is false when there is none.
func (it *Item) Statutory() (calendar.Limit, bool) {
	if it.StatutoryLimit == "" {
		return 0, false
	}
	l, err := calendar.ParseLimit(it.StatutoryLimit)
	return l, err == nil
}

// Promised returns the promised limit (承诺时限), which supervision measures.
func (it *Item) Promised() calendar.Limit {
	l, _ := calendar.ParseLimit(it.PromisedLimit)
	return l
}

// PreReview returns the pre-review limit, 2 working days by default.
func (it *Item) PreReview() calendar.Limit {
	if l, err := calendar.ParseLimit(it.PreReviewLimit); err == nil && it.PreReviewLimit != "" {
		return l
	}
	return calendar.Days(2)
}

// Subject is who the item serves on the portal: personal (个人办事), legal
// (法人办事) or both.
func (it *Item) Subject() string {
	personal, legal := false, false
	for _, o := range it.Objects {
		if o == 1 {
			personal = true
		} else {
			legal = true
		}
	}
	switch {
	case personal && legal:
		return SubjectBoth
	case personal:
		return SubjectPersonal
	}
	return SubjectLegal
}

// Subjects on the portal.
const (
	SubjectPersonal = "personal"
	SubjectLegal    = "legal"
	SubjectBoth     = "both"
)

// ZeroVisit and OneVisit are the badges "零跑动" and "最多跑一次".
func (it *Item) ZeroVisit() bool { return it.Visits == 0 }
func (it *Item) OneVisit() bool  { return it.Visits == 1 }

// Material returns the material with key.
func (it *Item) Material(key string) (Material, bool) {
	for _, m := range it.Materials {
		if m.Key == key {
			return m, true
		}
	}
	return Material{}, false
}

// Canon brings an item to its canonical form, so that equal content has
// equal bytes whatever it was read from (JSON, xlsx, a web form): lists a
// document always shows are empty rather than absent, optional lists absent
// when empty, and empty situations absent.
func (it *Item) Canon() {
	nonNil := func(p *[]string) {
		if *p == nil {
			*p = []string{}
		}
	}
	nonNil(&it.LegalBasis)
	nonNil(&it.Delivery)
	if it.Objects == nil {
		it.Objects = []int{}
	}
	if it.Depth == nil {
		it.Depth = []int{}
	}
	if it.Conditions == nil {
		it.Conditions = []Condition{}
	}
	if it.Fees == nil {
		it.Fees = []Fee{}
	}
	if it.Materials == nil {
		it.Materials = []Material{}
	}
	if it.Form == nil {
		it.Form = []Field{}
	}
	nilIfEmpty := func(p *[]string) {
		if len(*p) == 0 {
			*p = nil
		}
	}
	nilIfEmpty(&it.Themes)
	nilIfEmpty(&it.LifeEvents)
	nilIfEmpty(&it.Keywords)
	if len(it.OfferedLevels) == 0 {
		it.OfferedLevels = nil
	} else {
		slices.Sort(it.OfferedLevels)
	}
	if len(it.FAQ) == 0 {
		it.FAQ = nil
	}
	for i := range it.Form {
		if len(it.Form[i].Options) == 0 {
			it.Form[i].Options = nil
		}
	}
	if s := it.Situations; s != nil {
		if len(s.Questions) == 0 && len(s.Rules) == 0 {
			it.Situations = nil
		} else {
			if s.Questions == nil {
				s.Questions = []Question{}
			}
			if s.Rules == nil {
				s.Rules = []Rule{}
			}
			for i := range s.Rules {
				if len(s.Rules[i].Materials) == 0 {
					s.Rules[i].Materials = nil
				}
				if len(s.Rules[i].Conditions) == 0 {
					s.Rules[i].Conditions = nil
				}
			}
		}
	}
}

// TakesLicences reports whether a licence may supply any of the item's
// materials (免提交).
func (it *Item) TakesLicences() bool {
	for _, m := range it.Materials {
		if m.LicenceType != "" {
			return true
		}
	}
	return false
}

// Offers reports whether the item may be adopted at 行使层级 level.
func (it *Item) Offers(level int) bool { return slices.Contains(it.OfferedLevels, level) }
