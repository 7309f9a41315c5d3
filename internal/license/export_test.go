package license

// NextSerial is nextSerial, for tests of its concurrency.
var NextSerial = nextSerial
