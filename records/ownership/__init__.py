"""Row-level security's tables and services (contract §5, issue 6).

A Django app of its own (label `ownership`) beside `records`: the owner table that row-level
security filters on, and guardian's direct-foreign-key object permission tables that hold
shares. The matching rules are not here: they are `site_model.acl`'s (`record_owner_keys`,
`visitor_owner_keys`, `Access.can`); this package stores keys and turns them into SQL.
"""
