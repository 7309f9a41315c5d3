package license

import (
	"time"

	"github.com/tongban/tongban/internal/report"
)

// statusBanners mark a licence document that may not be relied on.
var statusBanners = map[string]string{StatusRevoked: "已撤销", StatusSuspended: "已中止", StatusExpired: "已过期"}

// chineseDay writes yyyy-mm-dd as 2026年12月1日.
func chineseDay(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("2006年1月2日")
}

// Validity is the licence's period as written on it.
func (l *Licence) Validity() string {
	if l.Metadata.ValidTo == "" {
		return chineseDay(l.Metadata.ValidFrom) + "至长期"
	}
	return chineseDay(l.Metadata.ValidFrom) + "至" + chineseDay(l.Metadata.ValidTo)
}

// AlgorithmName names the signature algorithm for people.
func AlgorithmName(alg string) string {
	if alg == AlgEd25519 {
		return "Ed25519"
	}
	return "SM2/SM3"
}

// Document lays out the licence; verifyURL is what its QR code opens.
func Document(l *Licence, verifyURL string) report.Certificate {
	m := l.Metadata
	facts := []report.Fact{{Label: "持证主体", Text: m.Holder}, {Label: "证件号码", Text: l.HolderMasked}}
	for _, f := range l.Labels {
		facts = append(facts, report.Fact{Label: f.Label, Text: l.Fields[f.Key]})
	}
	facts = append(facts, report.Fact{Label: "有效期限", Text: l.Validity()})
	return report.Certificate{
		Title: m.Name, Subtitle: l.Layout.Subtitle, Accent: l.Layout.Accent, Number: m.Number, Facts: facts,
		Issuer: m.Issuer, IssuedOn: chineseDay(m.IssuedOn), ID: m.Identifier,
		Signature: "电子签名：" + AlgorithmName(l.Algorithm) + "　签名证书序列号：" + l.CertSerial + "　定义机构：" + m.Authority,
		Status:    statusBanners[l.Status], QR: verifyURL, QRCaption: "扫码核验真伪与状态",
	}
}
