package site

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/i18n"
)

// Check names the field of each refusal; empty optional fields pass.
func TestInfoCheck(t *testing.T) {
	good := Info{Region: "500102", CentreName: "重庆市涪陵区政务服务中心"}
	tests := []struct {
		edit func(*Info)
		key  string
	}{
		{func(i *Info) {}, ""},
		{func(i *Info) { i.CentrePhone = "023-72222222、12345" }, ""},
		{func(i *Info) { i.CentrePhone = "(023) 7222 2222" }, ""},
		{func(i *Info) { i.ICP = "渝ICP备12345678号" }, ""},
		{func(i *Info) { i.ICP = "渝ICP备12345678号-2" }, ""},
		{func(i *Info) { i.CentreName = " " }, "setup.field_required"},
		{func(i *Info) { i.Region = "" }, "setup.field_required"},
		{func(i *Info) { i.CentrePhone = "1234" }, "setup.phone_format"},
		{func(i *Info) { i.CentrePhone = "023-7222x" }, "setup.phone_format"},
		{func(i *Info) { i.ICP = "ICP备12345678号" }, "setup.icp_format"},
		{func(i *Info) { i.HostOrg = "a\tb" }, "setup.field_control"},
		{func(i *Info) { i.CentreAddress = strings.Repeat("路", 201) }, "setup.field_too_long"},
		{func(i *Info) { i.PSB = "渝公网安备 50010202000123号" }, ""},
		{func(i *Info) { i.PSB = "渝公网安备50010202000123号" }, ""},
		{func(i *Info) { i.PSB = "渝公网安备 5001020200012号" }, "setup.psb_format"},
		{func(i *Info) { i.PSB = "公网安备 50010202000123号" }, "setup.psb_format"},
		{func(i *Info) { i.Organizer = strings.Repeat("局", 101) }, "setup.field_too_long"},
	}
	for n, tt := range tests {
		i := good
		tt.edit(&i)
		err := i.Check()
		if tt.key == "" {
			if err != nil {
				t.Errorf("%d: %v", n, err)
			}
			continue
		}
		if !apperr.Is(err, apperr.Invalid, tt.key) {
			t.Errorf("%d: %v; want %s", n, err, tt.key)
		}
	}
}

// CheckForm refuses as Check does, naming the form's field (not the
// command's flag) and carrying its label for the message.
func TestInfoCheckForm(t *testing.T) {
	tests := []struct {
		info       Info
		key, field string
	}{
		{Info{Region: "500102", CentreName: "涪陵区行政服务中心", ICP: "渝ICP备12345678号-1", PSB: "渝公网安备 50010202000123号"}, "", ""},
		{Info{Region: "500102", CentreName: "  "}, "site.field_required", "centre_name"},
		{Info{Region: "500102", CentreName: "中心", CentrePhone: "电话"}, "site.phone_format", "centre_phone"},
		{Info{Region: "500102", CentreName: "中心", ICP: "12345678"}, "site.icp_format", "icp"},
		{Info{Region: "500102", CentreName: "中心", PSB: "渝ICP备12345678号"}, "site.psb_format", "psb"},
		{Info{Region: "500102", CentreName: "中心", Contact: "a\nb"}, "site.field_control", "contact"},
		{Info{Region: "500102", CentreName: "中心", HostOrg: strings.Repeat("办", 101)}, "site.field_too_long", "host_org"},
	}
	for n, tt := range tests {
		err := tt.info.CheckForm()
		if tt.key == "" {
			if err != nil {
				t.Errorf("%d: %v", n, err)
			}
			continue
		}
		e := apperr.As(err)
		if !apperr.Is(err, apperr.Invalid, tt.key) || e.Args["field"] != tt.field {
			t.Errorf("%d: %v; want %s on %s", n, err, tt.key, tt.field)
			continue
		}
		if msg := i18n.T(i18n.ZH, e.Key, e.Args); !strings.HasPrefix(msg, i18n.T(i18n.ZH, "site.f_"+tt.field, nil)+"：") {
			t.Errorf("%d: message %q does not start with the field's label", n, msg)
		}
	}
}

func TestPSBCode(t *testing.T) {
	for in, want := range map[string]string{"渝公网安备 50010202000123号": "50010202000123", "渝公网安备50010202000123号": "50010202000123", "": "", "x": ""} {
		i := Info{PSB: in}
		if got := i.PSBCode(); got != want {
			t.Errorf("PSBCode(%q) = %q, want %q", in, got, want)
		}
	}
}
