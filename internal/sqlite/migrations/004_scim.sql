-- SCIM provisioning: employees' enterprise and governance attributes, the
-- SCIM resource exactly as the identity provider sent it, deletion that
-- keeps the row, and groups.

ALTER TABLE employees ADD COLUMN employee_number   TEXT    NOT NULL DEFAULT '';
ALTER TABLE employees ADD COLUMN organization      TEXT    NOT NULL DEFAULT '';
ALTER TABLE employees ADD COLUMN manager_id        TEXT    NOT NULL DEFAULT ''; -- as sent; not a foreign key
ALTER TABLE employees ADD COLUMN capstone_official INTEGER NOT NULL DEFAULT 0;
ALTER TABLE employees ADD COLUMN caveats           TEXT    NOT NULL DEFAULT '[]'; -- JSON array of strings
ALTER TABLE employees ADD COLUMN scim_json         TEXT; -- NULL if never provisioned over SCIM

-- SCIM compares userName case-insensitively, and so must uniqueness. The
-- application writes the folded form; lower() folds only ASCII, which is
-- what rows made before this migration get. Deleted rows hold ''.
ALTER TABLE employees ADD COLUMN user_name_fold TEXT NOT NULL DEFAULT '';
UPDATE employees SET user_name_fold = lower(user_name);

-- Deletion keeps the row, because records name the employee. The UNIQUE
-- user_name and external_id are released for reuse by moving them here;
-- user_name then holds a tombstone and external_id NULL.
ALTER TABLE employees ADD COLUMN deleted_at         INTEGER;
ALTER TABLE employees ADD COLUMN former_user_name   TEXT;
ALTER TABLE employees ADD COLUMN former_external_id TEXT;

CREATE INDEX employees_user_name_fold ON employees (user_name_fold, id) WHERE deleted_at IS NULL;
CREATE INDEX employees_email ON employees (email COLLATE NOCASE) WHERE deleted_at IS NULL;
CREATE INDEX employees_manager ON employees (manager_id) WHERE deleted_at IS NULL AND manager_id != '';

-- Groups as the identity provider defines them. Display names are not
-- unique (directories allow namesakes); external ids are.
CREATE TABLE org_groups (
	id                TEXT    PRIMARY KEY,
	external_id       TEXT    UNIQUE, -- NULL when the group has none
	display_name      TEXT    NOT NULL,
	display_name_fold TEXT    NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
);

CREATE INDEX org_groups_display_name ON org_groups (display_name_fold, id);

CREATE TABLE group_members (
	group_id    TEXT    NOT NULL REFERENCES org_groups (id) ON DELETE CASCADE,
	employee_id TEXT    NOT NULL REFERENCES employees (id),
	added_at    INTEGER NOT NULL,
	PRIMARY KEY (group_id, employee_id)
) WITHOUT ROWID;

CREATE INDEX group_members_employee ON group_members (employee_id);
