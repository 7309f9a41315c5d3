package notify

import (
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/i18n"
)

// smsDefaults are the default short messages (without the gateway's
// 【签名】): what happened and where to look, never free text or personal
// data. English ones are for applicants who chose English.
var smsDefaults = map[string][2]string{ // kind → zh-CN, en
	"submitted":         {"您的{item}申请已提交，请留意预审结果。", "Your {item} application was submitted."},
	"resubmitted":       {"您的{item}申请已重新提交，请留意预审结果。", "Your {item} application was resubmitted."},
	"correction":        {"您的{item}申请需补正，请登录查看一次性补正告知。", "Your {item} application needs corrections; sign in."},
	"accepted":          {"您的{item}申请已受理，承诺于{due_date}前办结。", "{item}: accepted, due {due_date}."},
	"refused":           {"{item}不予受理，请登录查看理由。评价：{rate_url}", "{item} refused. Rate {rate_url}"},
	"special_procedure": {"您的{item}办件进入特别程序（{procedure}），预计{days}个工作日。", "{item}: special procedure, about {days} days."},
	"resumed":           {"您的{item}办件已恢复计时，办结期限{due_date}。", "{item}: clock resumed, due {due_date}."},
	"extended":          {"您的{item}办件延长{days}个工作日，办结期限{due_date}。", "{item}: extended by {days} days, due {due_date}."},
	"decided":           {"{item}已决定：{decision}，评价：{rate_url}", "{item} decided. Rate {rate_url}"},
	"delivered_window":  {"您的{item}办理结果已在窗口送达。", "{item}: result handed over at the window."},
	"posted":            {"您的{item}办理结果已邮寄，快递单号{tracking_no}。", "{item}: result posted, tracking {tracking_no}."},
	"delivered_online":  {"您的{item}办理结果已网上送达，请登录查看。", "{item}: result delivered online; sign in."},
	"withdrawn":         {"您的{item}办件已撤回。", "{item}: withdrawn."},
	"terminated":        {"您的{item}办件已终止办理，请登录查看理由。", "{item}: terminated; sign in for the reason."},
	"bundle_concluded":  {"{item}各事项均已办结，评价：{rate_url}", "{item} done. Rate {rate_url}"},
	"item_decided":      {"您的{item}办件已作出决定：{decision}，请登录查看。", "{item}: decided ({decision}); sign in."},
	"item_refused":      {"您的{item}申请不予受理，请登录查看理由。", "{item}: not accepted; sign in for the reason."},
	"revoked":           {"您的{item}办件经核查承诺不实，决定已撤销。", "{item}: decision revoked after verification."},
	"inbox":             {"您有新的待办件：{item}（{step}）。", "New case to handle: {item} ({step})."},
	"assigned":          {"{by}分派给您一件{item}办件。", "{by} assigned you a case: {item}."},
	"countersign":       {"{by}请贵部门会签{item}办件。", "{by} asks you to countersign: {item}."},
	"case_withdrawn":    {"{item}办件已被申请人撤回，无需继续办理。", "{item}: withdrawn by the applicant."},
	"supplied":          {"{item}办件容缺材料已补交。", "{item}: owed materials supplied."},
	"deemed":            {"办件{case_no}依法视为已受理。", "{case_no}: deemed accepted."},
	"owed_due":          {"您有容缺材料请于{due_date}前补齐，逾期将终止办理。", "Please supply the owed materials by {due_date}."},
	"terminated_owed":   {"办件{case_no}容缺材料逾期未补齐，已终止。", "{case_no} terminated."},
	"urge":              {"办件{case_no}被督办，请登录查看。", "{case_no} urged; sign in."},
	"respond":           {"您督办的办件{case_no}已答复。", "{case_no}: urging answered."},
	"remind":            {"办件{case_no}{clock}{level}，请及时办理。", "{case_no}: reminder; sign in."},
	"escalate":          {"办件{case_no}{clock}已{level}，请关注。", "{case_no} escalated; sign in."},
	"order_remind":      {"工单{order_no}{clock}{level}，请及时办理。", "{order_no}: reminder; sign in."},
	"order_escalate":    {"工单{order_no}{clock}已{level}，请关注。", "{order_no} escalated; sign in."},
	"new_work":          {"您有{count}件新的待办件，请登录办理。", "You have {count} new cases to handle; sign in."},
	"order_urge":        {"工单{order_no}被督办，请登录查看。", "{order_no} urged; sign in."},
	"appeal_replied":    {"您的诉求{order_no}已答复，请登录查看并评价。", "Your request {order_no} was answered; sign in."},
	"licence_issued":    {"您的电子证照{name}已签发，可在我的证照中查看。", "Your licence {name} was issued."},
	"rating_rectified":  {"您对{item}办件的差评已整改，请登录告诉我们是否满意。", "{item}: your rating was acted on; sign in to answer."},
	"rate_invite":       {"您的{item}办件已办结，欢迎评价：{rate_url}", "{item} done. Rate: {rate_url}"},
	"verify_code":       {"您的验证码为{otp}，{minutes}分钟内有效，请勿告诉他人。", "Your code is {otp}, valid {minutes} minutes. Tell no one."},
	"phone_changed":     {"您账户的手机号码已更换。如非本人操作，请尽快到政务服务窗口办理。", "Your mobile number was changed. Not you? Visit a service window."},
	"account_exists":    {"有人用您的身份证号申请注册，您已有账号，可用本手机号登录或重置密码。", "Someone tried to register with your ID; you have an account."},
	"booking_reminder":  {"您预约了明天{time}在{hall}办理{service}，请准时到达。", "Booked: tomorrow {time} at {hall}, {service}."},
	"mandate_code":      {"代办员{agent}请求代您办事，验证码{otp}，{minutes}分钟内有效，告知代办员即同意。", "Agent {agent} asks to act for you. Code {otp}, {minutes} min."},
	"queue_near":        {"您在{hall}取的{number}号即将到号，前面还有{ahead}人，请留意叫号。", "{number} at {hall}: {ahead} ahead, your turn is near."},
}

// Defaults are the templates an installation starts with (the seed of
// migration 00025): in-app and e-mail texts are the catalog's messages,
// short messages smsDefaults.
func Defaults() []Template {
	var out []Template
	for _, kind := range KindKeys() {
		// The catalog's message with each argument standing for itself: "{case_no}".
		self := map[string]any{}
		for _, name := range Kinds[kind] {
			self[name] = "{" + name + "}"
		}
		for i, lang := range i18n.Langs {
			text := i18n.T(lang, "notify."+kind, self)
			subject := i18n.T(lang, "notify.subject_default", map[string]any{"case_no": "{case_no}", "kind": i18n.T(lang, "notify.kind."+kind, nil)})
			if !slices.Contains(Kinds[kind], "case_no") {
				subject = i18n.T(lang, "notify.kind."+kind, nil) // about an account, not a case
			}
			out = append(out,
				Template{Kind: kind, Channel: ChannelInApp, Lang: string(lang), Body: text},
				Template{Kind: kind, Channel: ChannelSMS, Lang: string(lang), Body: smsDefaults[kind][i]},
				Template{Kind: kind, Channel: ChannelEmail, Lang: string(lang), Subject: subject, Body: text})
		}
	}
	slices.SortFunc(out, func(a, b Template) int {
		return strings.Compare(a.Kind+"/"+a.Channel+"/"+a.Lang, b.Kind+"/"+b.Channel+"/"+b.Lang)
	})
	return out
}
