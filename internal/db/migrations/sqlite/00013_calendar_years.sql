-- +goose Up
-- The holiday calendars the deployment last ran with (scope "" is national,
-- else a region prefix). When a year's notice arrives or changes, the open
-- cases with deadlines in that year are recounted (cases.SyncCalendars):
-- deadlines counted under the weekday fallback take the notice into account.
CREATE TABLE calendar_years (
    scope  TEXT NOT NULL,
    year   INTEGER NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (scope, year)
);

-- +goose Down
DROP TABLE calendar_years;
