"""Partnership hub: partners report incidents, hear about outcomes, on a real database.

The store API (used alike by the CLI, the pages and the tests):

- :mod:`geo.partners.db`: :class:`~geo.partners.db.Database` (SQLite in ``ASB_DATA_DIR``
  or ``DATABASE_URL``), transactions, migrations up and down;
- :mod:`geo.partners.accounts`: organisations, premises, users, sign-in with lockout,
  :func:`~geo.partners.accounts.session_expired`;
- :mod:`geo.partners.incidents`: report, bulk CSV import, updates, what each role may see,
  export, funders' aggregates;
- :mod:`geo.partners.outcomes`: outcomes, the good-news feed and its weekly digest;
- :mod:`geo.partners.roles`: which page each role may open;
- :mod:`geo.partners.demo`: the demo Torquay partnership;
- :mod:`geo.partners.cli`: ``python -m geo partners ...``.

Nothing here imports Streamlit.
"""
