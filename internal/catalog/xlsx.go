package catalog

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/workbook"
)

// The xlsx exchange holds the same content as the JSON document, one sheet
// per part: items on one row each, their materials, form fields, conditions
// … on rows keyed by the implementation code. Headers read "事项名称 (name)":
// the key in brackets is what the importer reads, so columns may be reordered
// and the Chinese label edited. Lists in a cell are one entry per line;
// option lists are "value|label|label_en" lines; rule conditions
// "question=value" lines.

type col[T any] struct {
	label, key string
	get        func(*T) string
	set        func(*T, string) error
}

func str[T any](label, key string, p func(*T) *string) col[T] {
	return col[T]{label, key,
		func(t *T) string { return *p(t) },
		func(t *T, s string) error { *p(t) = s; return nil }}
}

func num[T any](label, key string, p func(*T) *int) col[T] {
	return col[T]{label, key,
		func(t *T) string { return strconv.Itoa(*p(t)) },
		func(t *T, s string) error {
			if s == "" {
				*p(t) = 0
				return nil
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				return apperr.E(apperr.Invalid, "catalog.cell_integer", "value", s)
			}
			*p(t) = n
			return nil
		}}
}

func flag[T any](label, key string, p func(*T) *bool) col[T] {
	return col[T]{label, key,
		func(t *T) string {
			if *p(t) {
				return "是"
			}
			return "否"
		},
		func(t *T, s string) error {
			switch strings.ToLower(s) {
			case "是", "true", "y", "yes", "1":
				*p(t) = true
			case "否", "false", "n", "no", "0", "":
				*p(t) = false
			default:
				return apperr.E(apperr.Invalid, "catalog.cell_bool", "value", s)
			}
			return nil
		}}
}

func lines[T any](label, key string, p func(*T) *[]string) col[T] {
	return col[T]{label, key,
		func(t *T) string { return strings.Join(*p(t), "\n") },
		func(t *T, s string) error { *p(t) = splitLines(s); return nil }}
}

func ints[T any](label, key string, p func(*T) *[]int) col[T] {
	return col[T]{label, key,
		func(t *T) string {
			var ss []string
			for _, n := range *p(t) {
				ss = append(ss, strconv.Itoa(n))
			}
			return strings.Join(ss, "^")
		},
		func(t *T, s string) error {
			var out []int
			for _, x := range strings.FieldsFunc(s, func(r rune) bool { return r == '^' || r == ',' || r == '\n' }) {
				n, err := strconv.Atoi(strings.TrimSpace(x))
				if err != nil {
					return apperr.E(apperr.Invalid, "catalog.cell_integer", "value", x)
				}
				out = append(out, n)
			}
			*p(t) = out
			return nil
		}}
}

func floatPtr[T any](label, key string, p func(*T) **float64) col[T] {
	return col[T]{label, key,
		func(t *T) string {
			if *p(t) == nil {
				return ""
			}
			return strconv.FormatFloat(**p(t), 'g', -1, 64)
		},
		func(t *T, s string) error {
			if s == "" {
				*p(t) = nil
				return nil
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) { // ParseFloat reads "NaN" and "Inf"
				return apperr.E(apperr.Invalid, "catalog.cell_number", "value", s)
			}
			*p(t) = &f
			return nil
		}}
}

func options[T any](label, key string, p func(*T) *[]Option) col[T] {
	return col[T]{label, key,
		func(t *T) string {
			var ss []string
			for _, o := range *p(t) {
				s := o.Value + "|" + o.Label
				if o.LabelEN != "" {
					s += "|" + o.LabelEN
				}
				ss = append(ss, s)
			}
			return strings.Join(ss, "\n")
		},
		func(t *T, s string) error {
			var out []Option
			for _, l := range splitLines(s) {
				parts := strings.Split(l, "|")
				if len(parts) < 2 || len(parts) > 3 {
					return apperr.E(apperr.Invalid, "catalog.cell_option", "value", l)
				}
				o := Option{Value: strings.TrimSpace(parts[0]), Label: strings.TrimSpace(parts[1])}
				if len(parts) == 3 {
					o.LabelEN = strings.TrimSpace(parts[2])
				}
				out = append(out, o)
			}
			*p(t) = out
			return nil
		}}
}

func splitLines(s string) []string {
	return trimAll(strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n"))
}

var itemCols = []col[Item]{
	str("实施编码", "impl_code", func(i *Item) *string { return &i.ImplCode }),
	str("基本编码", "basic_code", func(i *Item) *string { return &i.BasicCode }),
	str("事项名称", "name", func(i *Item) *string { return &i.Name }),
	str("英文名称", "name_en", func(i *Item) *string { return &i.NameEN }),
	str("事项类型", "type", func(i *Item) *string { return &i.Type }),
	num("行使层级", "level", func(i *Item) *int { return &i.Level }),
	num("实施主体性质", "agency_nature", func(i *Item) *int { return &i.AgencyNature }),
	str("实施主体代码", "department", func(i *Item) *string { return &i.Department }),
	str("实施区划", "region", func(i *Item) *string { return &i.Region }),
	ints("服务对象", "objects", func(i *Item) *[]int { return &i.Objects }),
	lines("设定依据", "legal_basis", func(i *Item) *[]string { return &i.LegalBasis }),
	str("法定办结时限", "statutory_limit", func(i *Item) *string { return &i.StatutoryLimit }),
	str("承诺办结时限", "promised_limit", func(i *Item) *string { return &i.PromisedLimit }),
	str("预审时限", "pre_review_limit", func(i *Item) *string { return &i.PreReviewLimit }),
	num("办件类型", "handling", func(i *Item) *int { return &i.Handling }),
	str("审批流程", "process", func(i *Item) *string { return &i.Process }),
	ints("网上办理深度", "depth", func(i *Item) *[]int { return &i.Depth }),
	num("网办深度等级", "depth_level", func(i *Item) *int { return &i.DepthLevel }),
	num("到现场次数", "visits", func(i *Item) *int { return &i.Visits }),
	lines("送达方式", "delivery", func(i *Item) *[]string { return &i.Delivery }),
	flag("告知承诺", "commitment", func(i *Item) *bool { return &i.Commitment }),
	flag("容缺受理", "tolerance", func(i *Item) *bool { return &i.Tolerance }),
	flag("需L2实名核验", "requires_l2", func(i *Item) *bool { return &i.RequiresL2 }),
	flag("自助办理", "self_service", func(i *Item) *bool { return &i.SelfService }),
	str("通办范围", "scope", func(i *Item) *string { return &i.Scope }),
	str("办理地点", "place", func(i *Item) *string { return &i.Place }),
	str("办理时间", "hours", func(i *Item) *string { return &i.Hours }),
	str("咨询电话", "consult_phone", func(i *Item) *string { return &i.ConsultPhone }),
	str("监督电话", "supervise_phone", func(i *Item) *string { return &i.SupervisePhone }),
	str("审批结果", "result.name", func(i *Item) *string { return &i.Result.Name }),
	str("结果类型", "result.kind", func(i *Item) *string { return &i.Result.Kind }),
	str("结果证照类型", "result.licence_type", func(i *Item) *string { return &i.Result.LicenceType }),
	lines("主题", "themes", func(i *Item) *[]string { return &i.Themes }),
	lines("事件", "life_events", func(i *Item) *[]string { return &i.LifeEvents }),
	lines("关键词", "keywords", func(i *Item) *[]string { return &i.Keywords }),
	num("办件量", "frequency", func(i *Item) *int { return &i.Frequency }),
	ints("可认领层级", "offered_levels", func(i *Item) *[]int { return &i.OfferedLevels }),
}

var conditionCols = []col[Condition]{
	str("键", "key", func(c *Condition) *string { return &c.Key }),
	str("受理条件", "text", func(c *Condition) *string { return &c.Text }),
}

var feeCols = []col[Fee]{
	str("收费项目", "name", func(f *Fee) *string { return &f.Name }),
	str("收费标准", "amount", func(f *Fee) *string { return &f.Amount }),
	str("收费依据", "basis", func(f *Fee) *string { return &f.Basis }),
}

var faqCols = []col[FAQ]{
	str("问题", "q", func(f *FAQ) *string { return &f.Q }),
	str("解答", "a", func(f *FAQ) *string { return &f.A }),
}

var materialCols = []col[Material]{
	str("键", "key", func(m *Material) *string { return &m.Key }),
	str("材料名称", "name", func(m *Material) *string { return &m.Name }),
	str("来源渠道", "source", func(m *Material) *string { return &m.Source }),
	str("出具单位", "issuer", func(m *Material) *string { return &m.Issuer }),
	num("原件", "originals", func(m *Material) *int { return &m.Originals }),
	num("复印件", "copies", func(m *Material) *int { return &m.Copies }),
	flag("必要", "required", func(m *Material) *bool { return &m.Required }),
	flag("接受电子材料", "electronic", func(m *Material) *bool { return &m.Electronic }),
	str("可由证照免提交", "licence_type", func(m *Material) *string { return &m.LicenceType }),
	str("填报说明", "sample", func(m *Material) *string { return &m.Sample }),
	str("备注", "note", func(m *Material) *string { return &m.Note }),
}

var fieldCols = []col[Field]{
	str("键", "key", func(f *Field) *string { return &f.Key }),
	str("名称", "label", func(f *Field) *string { return &f.Label }),
	str("英文名称", "label_en", func(f *Field) *string { return &f.LabelEN }),
	str("类型", "type", func(f *Field) *string { return &f.Type }),
	flag("必填", "required", func(f *Field) *bool { return &f.Required }),
	str("说明", "help", func(f *Field) *string { return &f.Help }),
	options("选项", "options", func(f *Field) *[]Option { return &f.Options }),
	floatPtr("最小值", "min", func(f *Field) **float64 { return &f.Min }),
	floatPtr("最大值", "max", func(f *Field) **float64 { return &f.Max }),
	num("最大长度", "max_len", func(f *Field) *int { return &f.MaxLen }),
	str("格式", "pattern", func(f *Field) *string { return &f.Pattern }),
}

var questionCols = []col[Question]{
	str("键", "key", func(q *Question) *string { return &q.Key }),
	str("问题", "text", func(q *Question) *string { return &q.Text }),
	str("英文问题", "text_en", func(q *Question) *string { return &q.TextEN }),
	options("选项", "options", func(q *Question) *[]Option { return &q.Options }),
}

var ruleCols = []col[Rule]{
	{"条件", "when",
		func(r *Rule) string {
			var ss []string
			for k, v := range r.When {
				ss = append(ss, k+"="+v)
			}
			slices.Sort(ss)
			return strings.Join(ss, "\n")
		},
		func(r *Rule, s string) error {
			r.When = map[string]string{}
			for _, l := range splitLines(s) {
				k, v, ok := strings.Cut(l, "=")
				if !ok {
					return apperr.E(apperr.Invalid, "catalog.cell_when", "value", l)
				}
				r.When[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			return nil
		}},
	lines("适用材料", "materials", func(r *Rule) *[]string { return &r.Materials }),
	lines("适用条件", "conditions", func(r *Rule) *[]string { return &r.Conditions }),
}

var bundleCols = []col[Bundle]{
	str("编码", "code", func(b *Bundle) *string { return &b.Code }),
	str("名称", "name", func(b *Bundle) *string { return &b.Name }),
	str("英文名称", "name_en", func(b *Bundle) *string { return &b.NameEN }),
	str("服务对象", "subject", func(b *Bundle) *string { return &b.Subject }),
	str("事件", "life_event", func(b *Bundle) *string { return &b.LifeEvent }),
	str("简介", "summary", func(b *Bundle) *string { return &b.Summary }),
	flag("已发布", "published", func(b *Bundle) *bool { return &b.Published }),
	num("办件量", "frequency", func(b *Bundle) *int { return &b.Frequency }),
	lines("包含事项", "items", func(b *Bundle) *[]string { return &b.Items }),
	// 结果实时共享: the declaration as JSON (docs/CATALOG.md), empty for none.
	{"结果共享", "produces",
		func(b *Bundle) string {
			if b.Produces == nil {
				return ""
			}
			j, _ := json.Marshal(b.Produces)
			return string(j)
		},
		func(b *Bundle, s string) error {
			b.Produces = nil
			if strings.TrimSpace(s) == "" {
				return nil
			}
			var err error
			b.Produces, err = ParseProduces(s)
			return err
		}},
}

// synonymCols: a term and its catalog wordings, one a line.
var synonymCols = []col[Synonym]{
	str("说法", "term", func(s *Synonym) *string { return &s.Term }),
	lines("目录用语（每行一个，空为关闭默认）", "expansions", func(s *Synonym) *[]string { return &s.Expansions }),
}

// Sheet names.
const (
	sheetItems      = "事项"
	sheetConditions = "受理条件"
	sheetFees       = "收费"
	sheetFAQ        = "常见问题"
	sheetMaterials  = "申请材料"
	sheetForm       = "申请表"
	sheetQuestions  = "情景问题"
	sheetRules      = "情景规则"
	sheetBundles    = "一件事"
	sheetSynonyms   = "检索同义词"
)

func header[T any](cols []col[T], keyed bool) []any {
	var h []any
	if keyed {
		h = append(h, "实施编码 (impl_code)")
	}
	for _, c := range cols {
		h = append(h, c.label+" ("+c.key+")")
	}
	return h
}

func row[T any](cols []col[T], t *T, impl string) []any {
	var r []any
	if impl != "" {
		r = append(r, impl)
	}
	for _, c := range cols {
		r = append(r, c.get(t))
	}
	return r
}

// WriteXLSX writes the exchange document as a workbook.
func (ex *Exchange) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sheets := map[string][][]any{}
	add := func(sheet string, r []any) { sheets[sheet] = append(sheets[sheet], r) }
	add(sheetItems, header(itemCols, false))
	add(sheetConditions, header(conditionCols, true))
	add(sheetFees, header(feeCols, true))
	add(sheetFAQ, header(faqCols, true))
	add(sheetMaterials, header(materialCols, true))
	add(sheetForm, header(fieldCols, true))
	add(sheetQuestions, header(questionCols, true))
	add(sheetRules, header(ruleCols, true))
	add(sheetBundles, header(bundleCols, false))
	add(sheetSynonyms, header(synonymCols, false))
	for _, it := range ex.Items {
		add(sheetItems, row(itemCols, it, ""))
		for i := range it.Conditions {
			add(sheetConditions, row(conditionCols, &it.Conditions[i], it.ImplCode))
		}
		for i := range it.Fees {
			add(sheetFees, row(feeCols, &it.Fees[i], it.ImplCode))
		}
		for i := range it.FAQ {
			add(sheetFAQ, row(faqCols, &it.FAQ[i], it.ImplCode))
		}
		for i := range it.Materials {
			add(sheetMaterials, row(materialCols, &it.Materials[i], it.ImplCode))
		}
		for i := range it.Form {
			add(sheetForm, row(fieldCols, &it.Form[i], it.ImplCode))
		}
		if s := it.Situations; s != nil {
			for i := range s.Questions {
				add(sheetQuestions, row(questionCols, &s.Questions[i], it.ImplCode))
			}
			for i := range s.Rules {
				add(sheetRules, row(ruleCols, &s.Rules[i], it.ImplCode))
			}
		}
	}
	for i := range ex.Bundles {
		add(sheetBundles, row(bundleCols, &ex.Bundles[i], ""))
	}
	for i := range ex.Synonyms {
		add(sheetSynonyms, row(synonymCols, &ex.Synonyms[i], ""))
	}
	order := []string{sheetItems, sheetConditions, sheetFees, sheetFAQ, sheetMaterials, sheetForm, sheetQuestions, sheetRules, sheetBundles, sheetSynonyms}
	for i, name := range order {
		if err := workbook.WriteSheet(f, name, sheets[name], i == 0); err != nil {
			return err
		}
	}
	f.SetDocProps(&excelize.DocProperties{Title: "通办 事项目录 " + ExchangeFormat, Creator: "Tongban"})
	_, err := f.WriteTo(w)
	return err
}

// xlsxSource remembers where each item's parts came from, to locate faults.
type xlsxSource struct {
	itemRow map[int]int                // item index → row on 事项
	partRow map[int]map[string]cellRef // item index → "materials[2]" → where
	cols    map[string]map[string]int  // sheet → key → column (1-based)
}

type cellRef struct {
	sheet string
	row   int
}

// ReadXLSX reads a workbook written by WriteXLSX (or edited from one). Every
// cell fault is collected, named by sheet, row and column; any fault rejects
// the whole workbook. It returns a Locator that maps item fields to cells.
func ReadXLSX(r io.Reader) (*Exchange, Locator, error) {
	f, err := workbook.Open(r)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	faults := &workbook.Faults{Max: MaxImportFaults}
	fault := faults.Add
	src := &xlsxSource{itemRow: map[int]int{}, partRow: map[int]map[string]cellRef{}, cols: map[string]map[string]int{}}
	ex := &Exchange{Format: ExchangeFormat}
	byCode := map[string]int{}

	readSheet := func(sheet string, required bool, keys []string, each func(row int, cells map[string]string, colOf map[string]int)) {
		if colOf, ok := workbook.ReadRows(f, sheet, required, keys, fault, each); ok {
			src.cols[sheet] = colOf
		}
	}
	keysOf := workbook.Keys

	readSheet(sheetItems, true, keysOf(len(itemCols), func(i int) string { return itemCols[i].key }), func(row int, cells map[string]string, colOf map[string]int) {
		it := &Item{}
		for _, c := range itemCols {
			if err := c.set(it, cells[c.key]); err != nil {
				fault(sheetItems, row, colOf[c.key], err)
			}
		}
		if j, dup := byCode[it.ImplCode]; dup {
			fault(sheetItems, row, colOf["impl_code"], apperr.E(apperr.Invalid, "catalog.import_duplicate", "code", it.ImplCode, "other", src.itemRow[j]))
			return
		}
		byCode[it.ImplCode] = len(ex.Items)
		src.itemRow[len(ex.Items)] = row
		ex.Items = append(ex.Items, it)
	})

	child := func(sheet, part string, n int, key func(int) string, add func(it *Item, row int, cells map[string]string, colOf map[string]int) int) {
		readSheet(sheet, false, keysOf(n, key), func(row int, cells map[string]string, colOf map[string]int) {
			idx, ok := byCode[cells["impl_code"]]
			if !ok {
				fault(sheet, row, colOf["impl_code"], apperr.E(apperr.Invalid, "catalog.import_orphan", "code", cells["impl_code"]))
				return
			}
			at := add(ex.Items[idx], row, cells, colOf)
			if src.partRow[idx] == nil {
				src.partRow[idx] = map[string]cellRef{}
			}
			src.partRow[idx][fmt.Sprintf("%s[%d]", part, at)] = cellRef{sheet, row}
		})
	}
	child(sheetConditions, "conditions", len(conditionCols), func(i int) string { return conditionCols[i].key },
		func(it *Item, row int, cells map[string]string, colOf map[string]int) int {
			return appendRow(&it.Conditions, conditionCols, sheetConditions, row, cells, colOf, fault)
		})
	child(sheetFees, "fees", len(feeCols), func(i int) string { return feeCols[i].key },
		func(it *Item, row int, cells map[string]string, colOf map[string]int) int {
			return appendRow(&it.Fees, feeCols, sheetFees, row, cells, colOf, fault)
		})
	child(sheetFAQ, "faq", len(faqCols), func(i int) string { return faqCols[i].key },
		func(it *Item, row int, cells map[string]string, colOf map[string]int) int {
			return appendRow(&it.FAQ, faqCols, sheetFAQ, row, cells, colOf, fault)
		})
	child(sheetMaterials, "materials", len(materialCols), func(i int) string { return materialCols[i].key },
		func(it *Item, row int, cells map[string]string, colOf map[string]int) int {
			return appendRow(&it.Materials, materialCols, sheetMaterials, row, cells, colOf, fault)
		})
	child(sheetForm, "form", len(fieldCols), func(i int) string { return fieldCols[i].key },
		func(it *Item, row int, cells map[string]string, colOf map[string]int) int {
			return appendRow(&it.Form, fieldCols, sheetForm, row, cells, colOf, fault)
		})
	child(sheetQuestions, "situations.questions", len(questionCols), func(i int) string { return questionCols[i].key },
		func(it *Item, row int, cells map[string]string, colOf map[string]int) int {
			if it.Situations == nil {
				it.Situations = &Situations{}
			}
			return appendRow(&it.Situations.Questions, questionCols, sheetQuestions, row, cells, colOf, fault)
		})
	child(sheetRules, "situations.rules", len(ruleCols), func(i int) string { return ruleCols[i].key },
		func(it *Item, row int, cells map[string]string, colOf map[string]int) int {
			if it.Situations == nil {
				it.Situations = &Situations{}
			}
			return appendRow(&it.Situations.Rules, ruleCols, sheetRules, row, cells, colOf, fault)
		})
	readSheet(sheetBundles, false, keysOf(len(bundleCols), func(i int) string { return bundleCols[i].key }), func(row int, cells map[string]string, colOf map[string]int) {
		appendRow(&ex.Bundles, bundleCols, sheetBundles, row, cells, colOf, fault)
	})
	readSheet(sheetSynonyms, false, keysOf(len(synonymCols), func(i int) string { return synonymCols[i].key }), func(row int, cells map[string]string, colOf map[string]int) {
		appendRow(&ex.Synonyms, synonymCols, sheetSynonyms, row, cells, colOf, fault)
	})
	if ex.Bundles == nil {
		ex.Bundles = []Bundle{}
	}
	if ex.Items == nil {
		ex.Items = []*Item{}
	}
	if len(faults.List) > 0 {
		return nil, nil, importErr(faults.List)
	}
	return ex, src.locate, nil
}

func appendRow[T any](list *[]T, cols []col[T], sheet string, row int, cells map[string]string, colOf map[string]int, fault func(string, int, int, error)) int {
	var t T
	for _, c := range cols {
		if err := c.set(&t, cells[c.key]); err != nil {
			fault(sheet, row, colOf[c.key], err)
		}
	}
	*list = append(*list, t)
	return len(*list) - 1
}

// locate maps an item field path ("materials[2].name") to its cell.
func (s *xlsxSource) locate(item int, path string) string {
	sheet, row := sheetItems, s.itemRow[item]
	key := path
	for part, ref := range s.partRow[item] {
		if rest, ok := strings.CutPrefix(path, part+"."); ok {
			sheet, row, key = ref.sheet, ref.row, rest
			break
		}
		if path == part {
			sheet, row, key = ref.sheet, ref.row, ""
			break
		}
	}
	// Element paths inside a cell ("objects[1]", "options") point at the cell.
	if i := strings.IndexByte(key, '['); i >= 0 {
		key = key[:i]
	}
	return workbook.Cell(sheet, row, s.cols[sheet][key])
}
