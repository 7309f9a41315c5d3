package calendar

import "testing"

func BenchmarkAddWorkdays20(b *testing.B) {
	cal := National().For("500102")
	from := Date{2025, 9, 26}
	for b.Loop() {
		if _, err := cal.AddWorkdays(from, 20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWorkdaysBetweenYear(b *testing.B) {
	cal := National().For("")
	from, to := Date{2025, 1, 1}, Date{2025, 12, 31}
	for b.Loop() {
		if _, err := cal.WorkdaysBetween(from, to); err != nil {
			b.Fatal(err)
		}
	}
}
