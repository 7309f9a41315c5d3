package server

// knownLeaks are the cells of the authorisation matrix that disagree with
// the policy on this branch: issue 14's known instances, being fixed on
// other branches. Each is logged, not failed; a listed cell that holds
// fails the test until it is taken off this list, so the list only
// shrinks. Keys are "row" (the route and its variant), values the
// principals, space-separated. Add nothing here but a known, tracked leak.
var knownLeaks = map[string]string{
	// Unsubmitted drafts are the applicant's own (a2).
	"GET /api/v1/cases":                       "clerk handler reviewer approver supervisor",
	"GET /api/v1/cases/{no} [draft]":          "clerk handler reviewer approver supervisor",
	"GET /api/v1/cases/{no}/timeline [draft]": "clerk handler reviewer approver supervisor",
	"POST /api/v1/cases/{no}/actions [draft]": "clerk handler reviewer approver supervisor",
	"GET /cases/{ref} [draft]":                "clerk handler reviewer approver supervisor",
	"POST /cases/{ref}/act [draft]":           "clerk handler reviewer approver supervisor",
	// The applicant's identity bound to the account; no name oracle; an agent files
	// only for persons of their area or with a recorded mandate (a2).
	"POST /api/v1/cases [own draft naming 李四]":               "zhangsan",
	"POST /api/v1/cases [a draft for 李四 by ID number alone]": "agent",
	"POST /api/v1/cases [a draft for the enterprise]":        "agent",
	"POST /apply/{code} [for 李四 by ID number alone]":         "agent",
	// 转办 to a department of another region (a2).
	"POST /api/v1/cases/{no}/actions [转办 to another region's department]": "handler",
	"POST /cases/{ref}/act [转办 to another region's department]":           "handler",
	// Uploads by roles that never file or correct a case (b1).
	"POST /api/v1/materials": "handler handler-t reviewer reviewer-t approver approver-t supervisor supervisor-t admin admin-t",
	// Licences scoped by department only (a1).
	"GET /api/v1/licences [issued]":                                "handler-t reviewer-t approver-t",
	"GET /api/v1/licences/{identifier} [district licence]":         "handler-t reviewer-t approver-t",
	"GET /api/v1/licences/{identifier}/file [district licence]":    "handler-t reviewer-t approver-t",
	"POST /api/v1/licences/{identifier}/status [district licence]": "approver-t",
	"GET /workbench/licences":                                      "handler-t reviewer-t approver-t",
	"GET /licences/{identifier} [district licence]":                "handler-t reviewer-t approver-t",
	"GET /licences/{identifier}/pdf [district licence]":            "handler-t reviewer-t approver-t",
	"GET /licences/{identifier}/file [district licence]":           "handler-t reviewer-t approver-t",
	"POST /licences/{identifier}/status [district licence]":        "approver-t",
	// Statistics and the monthly report of department staff ignore their grant's region (a1).
	"GET /api/v1/supervision/stats [the district]":           "approver-t",
	"GET /api/v1/supervision/reports/monthly [the district]": "approver-t",
	"GET /supervision/report [the district]":                 "approver-t",
	// Installation-wide settings changed by a town's administrator (a1).
	"PUT /api/v1/admin/escalation-rules/{id} [installation-wide rule]":                     "admin-t",
	"PUT /api/v1/admin/escalation-rules/{id} [installation-wide rule moved into the town]": "admin-t",
	"POST /admin/supervision/rules [installation-wide]":                                    "admin-t",
	"PUT /api/v1/admin/licence-types/{code}":                                               "admin-t",
	"POST /admin/licence-types":                                                            "admin-t",
	// A town's administrator reads the district's catalog drafts and versions (a1).
	"GET /api/v1/admin/items":                                 "admin-t",
	"GET /api/v1/admin/items/{code}/versions [district item]": "admin-t",
	"GET /admin/catalog":                                      "admin-t",
	"GET /admin/catalog/bundles/{code} [district bundle]":     "admin-t",
	// Any region's supervisor or administrator reads every audit record (a1).
	"GET /api/v1/audit/records/{index} [district case]": "supervisor-t admin-t",
	"GET /api/v1/audit/records/{index} [an account]":    "supervisor-t admin-t",
}
