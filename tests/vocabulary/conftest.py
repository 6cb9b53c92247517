"""The vocabulary tests run through the real API (SQLite always, PostgreSQL when
KEFU_TEST_DATABASE_URL is set), with the help-center fixtures for the ticket form."""

from tests.api.conftest import *  # noqa: F403  (client, world, customer, alice, ...)
from tests.helpcenter.conftest import client  # noqa: F401  (the app, SMTP when asked)
