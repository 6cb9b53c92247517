"""Read models behind /reports, the public commitment page and the supervisor view
(docs/reports.md has the definitions)."""
