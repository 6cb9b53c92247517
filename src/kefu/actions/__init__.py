"""kefu.actions"""

# every session masks secrets in stored text before it flushes (actions/stored_text.py)
from kefu.actions import stored_text as _stored_text  # noqa: F401
