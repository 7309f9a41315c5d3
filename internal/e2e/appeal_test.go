package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Issue 18's 诉求 loop in a real browser: 张三 submits a complaint at a
// phone's width (consenting to contact and publication); the dispatcher
// (the district's window clerk) dispatches it to the directory's
// department; its handler signs for it and replies; 张三 answers the 回访
// question, satisfied; the dispatcher closes it; the reply is then
// published without 张三's name.
func TestAppealSubmitDispatchSignReplyVisitClose(t *testing.T) {
	base := startDemo(t)
	ctx := browserFor(t, 240*time.Second)

	// An anonymous visitor is offered only the anonymous consultation.
	do(t, ctx, chromedp.EmulateViewport(375, 740), chromedp.Navigate(base+"/appeals/new"), chromedp.WaitVisible(css("#appeal-form")))
	if hint := text(t, ctx, "#appeal-anon-hint"); !strings.Contains(hint, "匿名") {
		t.Fatalf("anonymous hint: %q", hint)
	}
	phoneCheck(t, ctx, "/appeals/new (anonymous)")
	// In English too.
	do(t, ctx, chromedp.Click(css("#switch-lang")), chromedp.WaitVisible(css(`html[lang="en"] #appeal-form`)))
	if h := text(t, ctx, "h1"); h != "Submit a request" {
		t.Fatalf("English heading: %q", h)
	}
	phoneCheck(t, ctx, "/appeals/new (English)")
	do(t, ctx, chromedp.Click(css("#switch-lang")), chromedp.WaitVisible(css(`html[lang="zh-CN"] #appeal-form`)))

	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Navigate(base+"/appeals/new"), chromedp.WaitVisible(css("#appeal-form")))
	a11yBasics(t, ctx, "/appeals/new")
	phoneCheck(t, ctx, "/appeals/new")
	shot(t, ctx, "appeal-new-phone")
	// A complaint cannot be anonymous: refused, the form comes back as typed.
	do(t, ctx,
		chromedp.SetValue(css("#a-type"), "complaint"),
		chromedp.SetValue(css("#a-category"), "business"),
		chromedp.SetValue(css("#a-region"), "500102103000"),
		chromedp.SendKeys(css("#a-location"), "南沱镇便民服务中心"),
		chromedp.SendKeys(css("#a-description"), "窗口要求提供清单以外的房屋租赁备案证明。"),
		chromedp.Click(css("#a-anonymous")),
		chromedp.Click(css("#a-publish")),
		chromedp.Click(css("#appeal-submit")),
		chromedp.WaitVisible(css("#appeal-error")))
	if msg := text(t, ctx, "#appeal-error"); !strings.Contains(msg, "投诉不能匿名") {
		t.Fatalf("anonymous complaint: %q", msg)
	}
	if got := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('#a-description').value`)); !strings.Contains(got, "房屋租赁") {
		t.Fatalf("the description was lost: %q", got)
	}
	do(t, ctx, chromedp.Click(css("#a-anonymous")), chromedp.Click(css("#appeal-submit")), chromedp.WaitVisible(css("#flash, .notice")))
	no := text(t, ctx, ".appeal .appeal-no")
	if !strings.HasPrefix(no, "SQ") {
		t.Fatalf("order number %q", no)
	}
	phoneCheck(t, ctx, "/me/appeals")
	id := strings.TrimPrefix(get(t, ctx, chromedp.Evaluate[string](`document.querySelector('.appeal').id`)), "a-")
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
	logout(t, ctx)

	// The dispatcher: the queue lists it; the order page dispatches it.
	login(t, ctx, base, "clerk")
	do(t, ctx, chromedp.Navigate(base+"/workbench/appeals"), chromedp.WaitVisible(css("#row-"+id)))
	if row := text(t, ctx, "#row-"+id); !strings.Contains(row, "已受理") || strings.Contains(row, "张三") {
		t.Fatalf("queue row: %q", row)
	}
	do(t, ctx, chromedp.Click(css("#row-"+id+" a")), chromedp.WaitVisible(css("#step-dispatch")))
	a11yBasics(t, ctx, "/workbench/appeals/{id}")
	if who := text(t, ctx, "#appeal-requester"); !strings.Contains(who, "张三") {
		t.Fatalf("requester: %q", who)
	}
	do(t, ctx, chromedp.Click(css("#do-dispatch")), chromedp.WaitVisible(css("#flash")))
	if st := text(t, ctx, "#appeal-state"); st != "已派单" {
		t.Fatalf("after dispatch: %q", st)
	}
	if clocks := text(t, ctx, "#appeal-clocks"); !strings.Contains(clocks, "签收") || !strings.Contains(clocks, "办理") {
		t.Fatalf("clocks: %q", clocks)
	}
	logout(t, ctx)

	// The department: signs for it, replies.
	login(t, ctx, base, "handler")
	do(t, ctx, chromedp.Navigate(base+"/workbench/appeals"), chromedp.WaitVisible(css("#row-"+id)),
		chromedp.Click(css("#row-"+id+" a")), chromedp.WaitVisible(css("#step-sign")),
		chromedp.Click(css("#do-sign")), chromedp.WaitVisible(css("#flash")), chromedp.WaitVisible(css("#step-reply")))
	if st := text(t, ctx, "#appeal-state"); st != "办理中" {
		t.Fatalf("after sign: %q", st)
	}
	do(t, ctx, chromedp.SendKeys(css("#text-reply"), "经核实，窗口已按清单收件，已对工作人员批评教育。"),
		chromedp.Click(css("#do-reply")), chromedp.WaitVisible(css("#flash")), chromedp.WaitVisible(css("#appeal-reply")))
	logout(t, ctx)

	// 张三 reads the reply and answers the 回访 question.
	login(t, ctx, base, "zhangsan")
	do(t, ctx, chromedp.Navigate(base+"/me/appeals"), chromedp.WaitVisible(css("#visit-"+id)))
	if reply := text(t, ctx, "#reply-"+id); !strings.Contains(reply, "批评教育") {
		t.Fatalf("reply: %q", reply)
	}
	do(t, ctx, chromedp.Click(css(`#visit-`+id+` input[name=satisfied][value="1"]`)),
		chromedp.Click(css(`#visit-`+id+` input[name=resolved][value="1"]`)),
		chromedp.Click(css(`#visit-`+id+` .visit-submit`)), chromedp.WaitVisible(css("#flash")))
	if st := text(t, ctx, "#state-"+id); st != "已回访" {
		t.Fatalf("after 回访: %q", st)
	}
	logout(t, ctx)

	// The dispatcher closes it.
	login(t, ctx, base, "clerk")
	do(t, ctx, chromedp.Navigate(base+"/workbench/appeals/"+id), chromedp.WaitVisible(css("#step-close")),
		chromedp.Click(css("#do-close")), chromedp.WaitVisible(css("#flash")))
	if st := text(t, ctx, "#appeal-state"); st != "已办结" {
		t.Fatalf("after close: %q", st)
	}
	if ev := text(t, ctx, "#appeal-events"); !strings.Contains(ev, "派单") || !strings.Contains(ev, "签收") || !strings.Contains(ev, "回访") || !strings.Contains(ev, "办结") {
		t.Fatalf("history: %q", ev)
	}
	logout(t, ctx)

	// Published, without the requester.
	do(t, ctx, chromedp.Navigate(base+"/appeals"), chromedp.WaitVisible(css("#a-"+id)))
	if pub := text(t, ctx, "#a-"+id); !strings.Contains(pub, "批评教育") || strings.Contains(pub, "张三") {
		t.Fatalf("published: %q", pub)
	}
}
