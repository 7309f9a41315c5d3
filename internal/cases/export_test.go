package cases

// NextCaseNo exposes the numbering to the package's external tests.
var NextCaseNo = nextCaseNo
