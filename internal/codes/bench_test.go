package codes

import "testing"

func BenchmarkParseCitizenID(b *testing.B) {
	for b.Loop() {
		if _, err := ParseCitizenID("11010519491231002X", today); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCreditCode(b *testing.B) {
	for b.Loop() {
		if _, err := ParseCreditCode("91350100M000100Y43"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseLicenceID(b *testing.B) {
	for b.Loop() {
		if _, err := ParseLicenceID(realLicenceIDs[0]); err != nil {
			b.Fatal(err)
		}
	}
}
