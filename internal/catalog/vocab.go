package catalog

import "slices"

// Code sets of GB/T 39046-2020 Appendix A (STANDARDS.md §2) and the portal's
// vocabularies. Labels live in the i18n catalogs under the keys noted.

// ItemTypes is 事项类型 (label key "item.type.<code>").
var ItemTypes = []string{"00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "20"}

// Levels is 行使层级 1 国家 … 6 村社区, 7 分级管理 ("item.level.<n>").
var Levels = []int{1, 2, 3, 4, 5, 6, 7}

// AgencyNatures is 实施主体性质 ("item.agency_nature.<n>").
var AgencyNatures = []int{1, 2, 3, 9}

// Objects is 服务对象 ("item.object.<n>").
var Objects = []int{1, 2, 3, 4, 5, 6}

// Handlings is 办件类型: 1 即办件, 2 承诺件, 9 其他 ("item.handling.<n>").
var Handlings = []int{1, 2, 9}

// Depths is 网上办理深度 ("item.depth.<n>").
var Depths = []int{1, 2, 3, 4, 5, 6, 7, 8}

// DepthLevels is the portal's Ⅰ–Ⅳ ("item.depth_level.<n>"): Ⅰ guide only,
// Ⅱ online pre-review, Ⅲ at most one visit, Ⅳ fully online.
var DepthLevels = []int{1, 2, 3, 4}

// Deliveries is 送达方式 ("item.delivery.<key>").
var Deliveries = []string{"window", "post", "online"}

// Scopes is 通办范围 ("item.scope.<key>").
var Scopes = []string{"national", "cross_province", "cross_city", "cross_county"}

// MaterialSources is 来源渠道 ("material.source.<key>").
var MaterialSources = []string{"applicant", "government", "other"}

// ResultKinds is the kind of 审批结果 ("item.result_kind.<key>").
var ResultKinds = []string{"licence", "approval", "certificate", "registration", "payment", "other"}

// Themes is the portal's theme classification (主题分类, after the national
// portal's lists), shared by personal and legal-person browsing ("theme.<key>").
var Themes = []string{
	"birth", "household", "education", "employment", "marriage", "social_security",
	"medical", "housing", "realty", "elderly", "disability", "assistance",
	"agriculture", "certificates", "funeral", "establishment", "operation",
	"tax", "hr", "construction", "forestry",
}

// LifeEvents are the events of a life and of an enterprise (人生事件 /
// 企业生命周期) the portal browses by ("event.<key>").
var LifeEvents = []string{
	"birth", "schooling", "employment", "marriage", "home", "retirement", "elderly", "death",
	"start", "operate", "change", "build", "close",
}

// PersonalEvents and LegalEvents split LifeEvents for the two portals.
var (
	PersonalEvents = LifeEvents[:8]
	LegalEvents    = LifeEvents[8:]
)

func knownString(set []string, v string) bool { return slices.Contains(set, v) }
func knownInt(set []int, v int) bool          { return slices.Contains(set, v) }
