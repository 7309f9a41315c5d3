package license

import "crypto/x509/pkix"

// pkixName is a certificate subject: the organisation's name and, for a
// department, its unified social credit code as the serial number.
func pkixName(name, creditCode string) pkix.Name {
	n := pkix.Name{CommonName: name, Organization: []string{name}, Country: []string{"CN"}}
	if creditCode != "" {
		n.SerialNumber = creditCode
	}
	return n
}
