"""kefu.queries: read models (read-only) for pages, lists, live delivery and reports."""
