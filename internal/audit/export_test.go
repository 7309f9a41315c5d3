package audit

// SetVerifyPage makes Verify read n records at a time (so that tests cross
// page boundaries) and returns the restore.
func SetVerifyPage(n int) func() {
	was := verifyPage
	verifyPage = n
	return func() { verifyPage = was }
}
