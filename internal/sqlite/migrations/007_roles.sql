-- Roles come from identity-provider groups: every member of a group whose
-- display name is group_name (compared case-folded) has the role.
CREATE TABLE role_mappings (
    group_name      TEXT NOT NULL,
    group_name_fold TEXT NOT NULL,
    role            TEXT NOT NULL,
    PRIMARY KEY (group_name_fold, role)
) WITHOUT ROWID;
