package site

import (
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
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
