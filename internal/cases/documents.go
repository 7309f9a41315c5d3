package cases

import (
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/report"
)

// The written notices and decisions of a case (R2.5, R3.4, R3.5), in the
// words of the 行政许可法. Official documents are issued in Chinese whatever
// the reader's interface language.

// noticeTitles name each kind of document.
var noticeTitles = map[string]string{
	"acceptance":        "受理通知书",
	"refusal":           "不予受理通知书",
	"correction":        "补正告知书",
	"special_procedure": "特别程序告知书",
}

func chineseDate(t time.Time) string { return t.In(calendar.China).Format("2006年1月2日") }

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// Document lays out notice n of case c; progressURL is what its QR code opens.
func Document(c *Case, n *Notice, it *catalog.Item, progressURL string) report.Document {
	submitted := ""
	if c.SubmittedAt != nil {
		submitted = chineseDate(*c.SubmittedAt)
	}
	who := fmt.Sprintf("你（单位）于%s提出的“%s”申请", submitted, c.ItemName)
	d := report.Document{
		Authority: c.Department, Title: noticeTitles[n.Kind], Reference: "办件编号：" + c.No, Addressee: c.ApplicantName + "：",
		Facts: []report.Fact{{Label: "申请人", Text: c.ApplicantName + "（" + c.ApplicantMasked + "）"}, {Label: "申请事项", Text: c.ItemName},
			{Label: "查询码", Text: c.QueryCode}},
		Closing: c.Department + "\n" + chineseDate(n.IssuedAt), QR: progressURL, QRCaption: "扫码查询办理进度（办件编号＋申请人姓名＋查询码）",
	}
	switch n.Kind {
	case "acceptance":
		d.Paragraphs = []string{who + "，申请材料齐全、符合法定形式。根据《中华人民共和国行政许可法》第三十二条的规定，决定予以受理。",
			fmt.Sprintf("本机关承诺于%s前作出决定（承诺办结时限%s个工作日，不含法定节假日，依法需要听证、检验、检测、鉴定、专家评审等特别程序的时间不计算在内）。",
				str(n.Body, "due_date"), str(n.Body, "promised"))}
		if owed, _ := n.Body["owed"].([]any); len(owed) > 0 {
			d.Paragraphs = append(d.Paragraphs, "本申请按容缺受理办理，请在承诺时限内补交下列材料，逾期未补交的，终止办理：")
			for _, k := range owed {
				if m, ok := it.Material(fmt.Sprint(k)); ok {
					d.Items = append(d.Items, m.Name)
				}
			}
		}
		if c.Commitment {
			d.Paragraphs = append(d.Paragraphs, "本申请适用告知承诺制，审批结果当场作出；本机关将依法进行事后核查，发现承诺不实的，依法撤销行政许可并追究责任。")
		}
	case "refusal":
		d.Paragraphs = []string{who + "，经审查，决定不予受理。", "理由：" + str(n.Body, "reason"),
			"如对本决定不服，可以自收到本通知书之日起六十日内依法申请行政复议，或者自收到之日起六个月内依法提起行政诉讼。"}
	case "correction":
		d.Paragraphs = []string{who + "，申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》第三十二条的规定，现一次性告知，请补正下列全部材料或内容后重新提交（补正期间不计入办理时限）："}
		if repeat, _ := n.Body["repeat"].(bool); repeat {
			// Not a second "one-time" notice: what the first asked and is still not right.
			d.Title = "再次补正告知书"
			first := ""
			if t, err := time.Parse(time.RFC3339Nano, str(n.Body, "first_issued_at")); err == nil {
				first = "于" + chineseDate(t)
			}
			d.Paragraphs = []string{who + "，本机关已" + first + "一次性告知需要补正的全部内容。经审查重新提交的材料，下列已告知的内容仍未补正到位，请补正后重新提交（补正期间不计入办理时限）："}
		}
		if list, ok := n.Body["corrections"].([]any); ok {
			for _, x := range list {
				m, _ := x.(map[string]any)
				if name := str(m, "name"); name != "" {
					d.Items = append(d.Items, name+"："+str(m, "problem"))
				} else {
					d.Items = append(d.Items, str(m, "problem"))
				}
			}
		}
	case "special_procedure":
		kind := pauseNames[str(n.Body, "kind")]
		d.Paragraphs = []string{fmt.Sprintf("%s（办件编号 %s）需要进行%s。根据《中华人民共和国行政许可法》第四十五条的规定，%s所需时间不计算在办理时限内。",
			who, c.No, kind, kind), "事由：" + str(n.Body, "reason"),
			fmt.Sprintf("预计需要%v个工作日，结束后继续计算办理时限。", n.Body["expected_workdays"])}
	case "decision":
		if str(n.Body, "decision") == Denied {
			d.Title = "不予行政许可决定书"
			d.Paragraphs = []string{who + "，经审查，不符合法定条件、标准，决定不予许可。", "理由：" + str(n.Body, "reason"),
				"如对本决定不服，可以自收到本决定书之日起六十日内依法申请行政复议，或者自收到之日起六个月内依法提起行政诉讼。"}
		} else {
			d.Title = "准予行政许可决定书"
			d.Paragraphs = []string{who + "，经审查，符合法定条件、标准。根据《中华人民共和国行政许可法》第三十八条的规定，决定准予。"}
			if r := str(n.Body, "result"); r != "" {
				d.Paragraphs = append(d.Paragraphs, deliveryText(c, r))
			}
		}
	}
	return d
}

// pauseNames are the special procedures in the documents' words.
var pauseNames = map[string]string{"hearing": "听证", "inspection": "检验", "testing": "检测", "quarantine": "检疫",
	"appraisal": "鉴定", "expert_review": "专家评审", "publicity": "公示"}

// deliveryText says how the result reaches the applicant, as they chose at
// filing: the posting address masked (the document may be seen by others
// than the applicant), the window of the department, or online. A case
// filed before the choice existed names no way it did not choose.
func deliveryText(c *Case, result string) string {
	switch c.Choice.Method {
	case DeliverPost:
		return "审批结果（" + result + "）将通过邮寄送达至" + c.Choice.Masked + "（地址已脱敏）。"
	case DeliverWindow:
		return "请持本决定书到" + c.Department + "窗口领取审批结果（" + result + "）。"
	case DeliverOnline:
		return "审批结果（" + result + "）已在网上送达，请登录本平台在“我的办件”中查看、下载。"
	}
	return "审批结果（" + result + "）依法送达。"
}
