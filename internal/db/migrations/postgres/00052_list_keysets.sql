-- +goose Up
-- Lists that cost the page, not the table (issue 20): each list is read by
-- keyset (the last row's sort key, internal/paging) on an index whose
-- leading columns are the list's filter and whose rest is its order, so a
-- page reads its own rows and never those before it.

-- 电子监察: signals by level, then the most overdue; a department's too.
-- The key ends with the signal's primary key (case, clock): unique. The
-- department's index ends with the region, so that the counts by department
-- and level read it alone.
CREATE INDEX case_signals_page ON case_signals (level, due_at, case_id, clock);
CREATE INDEX case_signals_dept_page ON case_signals (department_id, level, due_at, case_id, clock, region_code);
DROP INDEX case_signals_level;

-- Work orders' signals (差评, 诉求) the same way, on a partial index of the
-- running, signalled clocks only.
CREATE INDEX order_clocks_page ON order_clocks (level, due_at, kind, order_id, clock) WHERE level <> 'normal' AND stopped_at IS NULL;

-- A user's notifications newest first, and their unread ones (counted up to
-- the cap on a partial index that holds only what is unread).
CREATE INDEX notifications_page ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
DROP INDEX notifications_user;

-- 证照管理: a department's issued licences newest first; a supervisor's
-- region reads them in the same order, filtered.
CREATE INDEX licences_issued_page ON licences (department_id, issued_at, id);
CREATE INDEX licences_issued_at ON licences (issued_at, id);
DROP INDEX licences_issued;

-- 诉求: the published replies newest first (a partial index of what the
-- public list shows), and every order by (created_at, id) for the others;
-- the staff lists' filters are the open backlog (appeals_state,
-- appeals_department), read in the same order.
CREATE INDEX appeals_published ON appeals (created_at, id) WHERE publish = TRUE AND state = 'closed';
CREATE INDEX appeals_created_page ON appeals (created_at, id);
DROP INDEX appeals_created;

-- 差评台账: open orders, then closed ones (which grow with the years), each
-- by verification deadline; a department's too.
CREATE INDEX rating_orders_page ON rating_orders (state, verify_due_at, id);
CREATE INDEX rating_orders_dept_page ON rating_orders (department_id, state, verify_due_at, id);

-- +goose Down
DROP INDEX rating_orders_dept_page;
DROP INDEX rating_orders_page;
CREATE INDEX appeals_created ON appeals (created_at);
DROP INDEX appeals_created_page;
DROP INDEX appeals_published;
CREATE INDEX licences_issued ON licences (department_id, issued_at);
DROP INDEX licences_issued_at;
DROP INDEX licences_issued_page;
CREATE INDEX notifications_user ON notifications (user_id, created_at);
DROP INDEX notifications_unread;
DROP INDEX notifications_page;
CREATE INDEX case_signals_level ON case_signals (level, department_id);
DROP INDEX order_clocks_page;
DROP INDEX case_signals_dept_page;
DROP INDEX case_signals_page;
