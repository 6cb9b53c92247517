"""Stand-ins for marketplaces kefu cannot reach in tests and the demo.

Each speaks its system's REAL protocol over real HTTP (a FastAPI app for uvicorn): its own
signing code written from the protocol's description (not kefu's), its clock window, its
error shapes, and faults to inject (5xx, a reply slower than the caller's timeout after the
write was made). They record what they were asked to do, so a test can assert "exactly one
refund". Not used by the server itself; docs/orders.md.
"""
